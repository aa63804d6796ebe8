import type { ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { Context, Deferred, Duration, Effect, Layer } from "effect";
import { type Capture, type Captured, headCapture, tailCapture } from "./capture.ts";
import { errorCode, killGroup as killPidGroup, spawnGroup } from "./group.ts";

/** One run of a task's program; argv is already expanded. */
export interface TaskSpec {
  readonly argv: ReadonlyArray<string>;
  readonly cwd?: string | undefined;
  /** The whole environment of the child (see taskEnvironment). */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Cap for each of stdout and stderr; the rest is read and dropped. */
  readonly maxOutputBytes: number;
  /** Completes, with a reason, when the task must be killed before its timeout (the agent stopping). */
  readonly killWhen?: Effect.Effect<string>;
}

interface Outputs {
  readonly stdout: Captured;
  readonly stderr: Captured;
}

/** How a run ended. */
export type TaskOutcome =
  | ({ readonly _tag: "Exited"; readonly exitCode: number } & Outputs)
  | ({ readonly _tag: "Signalled"; readonly signal: string } & Outputs)
  | ({ readonly _tag: "TimedOut"; readonly timeoutMs: number } & Outputs)
  | ({ readonly _tag: "Killed"; readonly reason: string } & Outputs)
  | { readonly _tag: "NotStarted"; readonly reason: string };

/**
 * Runs task programs: never through a shell, each in its own process group
 * (so a timeout kills what it started too), stdin closed, output captured up
 * to a cap. Running a task never fails: every ending is a TaskOutcome.
 */
export class TaskRunner extends Context.Service<
  TaskRunner,
  { readonly run: (spec: TaskSpec) => Effect.Effect<TaskOutcome> }
>()("@homelab/process/TaskRunner") {
  /** Process groups still alive when the layer is released (a defect, a hard stop) are killed. */
  static readonly layer: Layer.Layer<TaskRunner> = Layer.effect(
    TaskRunner,
    Effect.gen(function* () {
      const live = new Set<Started>();
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          for (const s of live) killGroup(s);
          live.clear();
        })
      );
      return { run: (spec: TaskSpec) => runTask(spec, live) };
    })
  );
}

/** How long the pipes may stay open after the process group is gone (held by something outside it). */
const PIPES_GRACE = Duration.seconds(1);

interface Started {
  readonly _tag: "Started";
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stdout: Capture;
  readonly stderr: Capture;
  readonly exited: Deferred.Deferred<{ readonly code: number | null; readonly signal: string | null }>;
  readonly closed: Deferred.Deferred<void>;
  groupKilled: boolean;
}

/** SIGKILL to the whole process group the child leads (it was spawned detached). Once only. */
const killGroup = (s: Started): void => {
  if (s.groupKilled) return;
  s.groupKilled = true;
  killPidGroup(s.pid);
};

const notStarted = (program: string, error: unknown): TaskOutcome => {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const reason =
    code === "ENOENT"
      ? `command not found: ${program}`
      : code === "EACCES"
        ? `${program} could not be started: permission denied (not executable?)`
        : `${program} could not be started: ${message}`;
  return { _tag: "NotStarted", reason };
};

const directoryProblem = (cwd: string): Effect.Effect<string | undefined> =>
  Effect.promise(() =>
    stat(cwd).then(
      (s) => (s.isDirectory() ? undefined : `working directory ${cwd} is not a directory`),
      (e: unknown) =>
        `working directory ${cwd} ${typeof e === "object" && e !== null && "code" in e && e.code === "ENOENT" ? "does not exist" : "cannot be used"}`
    )
  );

const start = (spec: TaskSpec, maxOutputBytes: number): Effect.Effect<Started | TaskOutcome> =>
  Effect.callback<Started | TaskOutcome>((resume) => {
    const [program = "", ...args] = spec.argv;
    let child: ChildProcess;
    try {
      child = spawnGroup(program, args, { env: spec.env, cwd: spec.cwd });
    } catch (error) {
      resume(Effect.succeed(notStarted(program, error)));
      return;
    }
    const stdout = headCapture(maxOutputBytes);
    const stderr = tailCapture(maxOutputBytes);
    const exited = Deferred.makeUnsafe<{ readonly code: number | null; readonly signal: string | null }>();
    const closed = Deferred.makeUnsafe<void>();
    child.stdout?.on("data", stdout.push);
    child.stderr?.on("data", stderr.push);
    child.once("exit", (code, signal) => Deferred.doneUnsafe(exited, Effect.succeed({ code, signal })));
    child.once("close", () => Deferred.doneUnsafe(closed, Effect.void));
    let spawned = false;
    child.once("error", (error) => {
      if (!spawned) resume(Effect.succeed(notStarted(program, error)));
    });
    child.once("spawn", () => {
      spawned = true;
      const pid = child.pid;
      if (pid === undefined) return resume(Effect.succeed(notStarted(program, new Error("no pid"))));
      resume(Effect.succeed({ _tag: "Started", child, pid, stdout, stderr, exited, closed, groupKilled: false }));
    });
  });

const supervise = (s: Started, spec: TaskSpec): Effect.Effect<TaskOutcome> =>
  Effect.gen(function* () {
    const end = yield* Effect.raceAllFirst([
      Effect.map(Deferred.await(s.exited), (e) => ({ _tag: "Exit" as const, ...e })),
      Effect.as(Effect.sleep(Duration.millis(spec.timeoutMs)), { _tag: "Timeout" as const }),
      Effect.map(spec.killWhen ?? Effect.never, (reason) => ({ _tag: "Kill" as const, reason }))
    ]);
    // Whatever ended it, nothing the task started outlives it: this also
    // reaps what a program that exited left running in the background.
    killGroup(s);
    yield* Effect.timeoutOption(Deferred.await(s.closed), PIPES_GRACE);
    s.child.stdout?.destroy();
    s.child.stderr?.destroy();
    const outputs = { stdout: s.stdout.result(), stderr: s.stderr.result() };
    switch (end._tag) {
      case "Timeout":
        return { _tag: "TimedOut", timeoutMs: spec.timeoutMs, ...outputs };
      case "Kill":
        return { _tag: "Killed", reason: end.reason, ...outputs };
      case "Exit":
        return end.code !== null
          ? { _tag: "Exited", exitCode: end.code, ...outputs }
          : { _tag: "Signalled", signal: end.signal ?? "an unknown signal", ...outputs };
    }
  });

const runTask = (spec: TaskSpec, live: Set<Started>): Effect.Effect<TaskOutcome> =>
  Effect.gen(function* () {
    if (spec.cwd !== undefined) {
      const problem = yield* directoryProblem(spec.cwd);
      if (problem !== undefined) return { _tag: "NotStarted", reason: problem } satisfies TaskOutcome;
    }
    return yield* Effect.acquireUseRelease(
      Effect.tap(start(spec, spec.maxOutputBytes), (s) => Effect.sync(() => s._tag === "Started" && live.add(s))),
      (s) => (s._tag === "Started" ? supervise(s, spec) : Effect.succeed(s)),
      // Interrupted (the agent itself stopping): kill the group before letting go.
      (s) =>
        Effect.sync(() => {
          if (s._tag !== "Started") return;
          killGroup(s);
          live.delete(s);
        })
    );
  });
