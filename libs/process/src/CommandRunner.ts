import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { Context, Duration, Effect, Layer, Result, Schema } from "effect";
import {
  CommandFailed,
  CommandNotFound,
  CommandOutputTooLarge,
  CommandTimedOut,
  type CommandError
} from "./errors.ts";
import type { RunCommand } from "./commandMessages.ts";
import { killGroup } from "./group.ts";

export interface CommandSpec {
  readonly command: string;
  readonly args: ReadonlyArray<string>;
  /** Deadline after which the command's whole process group is killed. */
  readonly timeoutMs: number;
  /** stdout + stderr beyond this many bytes kills the command. */
  readonly maxOutputBytes: number;
  /** Environment for the child; inherits this process's when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs external tools without a shell, off the main event loop. */
export interface CommandRunnerShape {
  /**
   * Succeeds with the output when the command exits 0, otherwise fails with a
   * typed error. The deadline is an Effect timeout (so a TestClock drives
   * it); on timeout or interruption the command's process group is killed.
   */
  readonly run: (spec: CommandSpec) => Effect.Effect<CommandOutput, CommandError>;
}

const WorkerReply = Schema.Struct({
  id: Schema.Number,
  outcome: Schema.Literals(["ok", "not_found", "failed", "too_large", "spawn_error"]),
  exitCode: Schema.NullOr(Schema.Number),
  signal: Schema.NullOr(Schema.String),
  stdout: Schema.String,
  stderr: Schema.String,
  detail: Schema.String
});
type WorkerReply = typeof WorkerReply.Type;
const decodeReply = Schema.decodeUnknownResult(WorkerReply);
const WorkerStarted = Schema.Struct({ id: Schema.Number, started: Schema.Number });
const decodeStarted = Schema.decodeUnknownResult(WorkerStarted);

/**
 * Where the worker's code is: `commandWorker.mjs` beside the bundle an app's
 * build writes (esbuild, from the same module as the rest), else the
 * TypeScript module itself, imported through tsx's API (from source: tests,
 * `nx run desktop-agent:collect`, benchmarks; a worker does not inherit the
 * main thread's loader).
 */
const workerEntry = (): URL => {
  const bundled = new URL("./commandWorker.mjs", import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return bundled;
  const module = new URL("./commandWorker.ts", import.meta.url).href;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href;
  const load = `import { tsImport } from ${JSON.stringify(tsx)};\nawait tsImport(${JSON.stringify(module)}, ${JSON.stringify(module)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(load)}`);
};

interface WorkerPool {
  readonly send: (message: Omit<RunCommand, "id">, onReply: (reply: WorkerReply) => void) => number;
  readonly cancel: (id: number) => void;
  readonly close: () => Promise<void>;
}

const makeWorkerPool = (): WorkerPool => {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, (reply: WorkerReply) => void>();
  // Pids of running children, so that a timeout or shutdown kills them from
  // this thread without depending on the worker to still be there.
  const running = new Map<number, number>();
  const failAll = (detail: string) => {
    for (const [id, onReply] of pending) {
      onReply({ id, outcome: "spawn_error", exitCode: null, signal: null, stdout: "", stderr: "", detail });
    }
    pending.clear();
    worker = undefined;
  };
  const ensure = (): Worker => {
    if (worker !== undefined) return worker;
    const w = new Worker(workerEntry());
    w.on("message", (message: unknown) => {
      const started = decodeStarted(message);
      if (Result.isSuccess(started)) {
        if (pending.has(started.success.id)) running.set(started.success.id, started.success.started);
        return;
      }
      const decoded = decodeReply(message);
      if (Result.isFailure(decoded)) return;
      const onReply = pending.get(decoded.success.id);
      pending.delete(decoded.success.id);
      running.delete(decoded.success.id);
      if (pending.size === 0) w.unref();
      onReply?.(decoded.success);
    });
    w.on("error", (e) => failAll(`command worker failed: ${e.message}`));
    w.on("exit", (code) => failAll(`command worker exited with ${code}`));
    // Referenced only while a command is pending: an idle runner never keeps
    // the process alive. (Unref after adding listeners: adding one refs it.)
    w.unref();
    worker = w;
    return w;
  };
  return {
    send: (message, onReply) => {
      const id = nextId++;
      const w = ensure();
      pending.set(id, onReply);
      w.ref();
      w.postMessage({ ...message, id });
      return id;
    },
    cancel: (id) => {
      if (!pending.delete(id)) return;
      const pid = running.get(id);
      running.delete(id);
      if (pid !== undefined) killGroup(pid);
      // Also tell the worker, for a child whose pid had not reached us yet.
      worker?.postMessage({ type: "kill", id });
      if (pending.size === 0) worker?.unref();
    },
    close: async () => {
      const w = worker;
      worker = undefined;
      for (const pid of running.values()) killGroup(pid);
      running.clear();
      pending.clear();
      if (w !== undefined) {
        w.removeAllListeners("exit");
        await w.terminate();
      }
    }
  };
};

export class CommandRunner extends Context.Service<CommandRunner, CommandRunnerShape>()(
  "@homelab/process/CommandRunner"
) {
  /** One worker thread per layer, started on first use and terminated with the scope. */
  static readonly layer: Layer.Layer<CommandRunner> = Layer.effect(
    CommandRunner,
    Effect.acquireRelease(Effect.sync(makeWorkerPool), (pool) => Effect.promise(() => pool.close())).pipe(
      Effect.map((pool) => ({ run: (spec: CommandSpec) => runIn(pool, spec) }))
    )
  );
}

const runIn = (pool: WorkerPool, spec: CommandSpec): Effect.Effect<CommandOutput, CommandError> =>
  Effect.callback<CommandOutput, CommandError>((resume) => {
    const id = pool.send(
      {
        type: "run",
        command: spec.command,
        args: [...spec.args],
        env: spec.env === undefined ? null : { ...spec.env },
        maxOutputBytes: spec.maxOutputBytes
      },
      (reply) => resume(toEffect(spec, reply))
    );
    return Effect.sync(() => pool.cancel(id));
  }).pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(spec.timeoutMs),
      orElse: () =>
        Effect.fail(
          new CommandTimedOut({
            command: spec.command,
            timeoutMs: spec.timeoutMs,
            message: `${spec.command} did not finish within ${spec.timeoutMs} ms; killed`
          })
        )
    })
  );

const toEffect = (spec: CommandSpec, reply: WorkerReply): Effect.Effect<CommandOutput, CommandError> => {
  const command = spec.command;
  switch (reply.outcome) {
    case "ok":
      return Effect.succeed({ stdout: reply.stdout, stderr: reply.stderr });
    case "not_found":
      return Effect.fail(new CommandNotFound({ command, message: `${command} not found on PATH (${reply.detail})` }));
    case "too_large":
      return Effect.fail(
        new CommandOutputTooLarge({
          command,
          limitBytes: spec.maxOutputBytes,
          message: `${command} printed more than ${spec.maxOutputBytes} bytes; killed`
        })
      );
    case "spawn_error":
      return Effect.fail(
        new CommandFailed({
          command,
          exitCode: null,
          signal: null,
          stdout: "",
          stderr: "",
          message: `${command} could not be run: ${reply.detail}`
        })
      );
    case "failed": {
      const said = (reply.stderr.trim() || reply.stdout.trim()).split("\n")[0] ?? "";
      return Effect.fail(
        new CommandFailed({
          command,
          exitCode: reply.exitCode,
          signal: reply.signal,
          stdout: reply.stdout,
          stderr: reply.stderr,
          message: `${command} exited with ${reply.exitCode ?? `signal ${reply.signal}`}${said ? `: ${said}` : ""}`
        })
      );
    }
  }
};
