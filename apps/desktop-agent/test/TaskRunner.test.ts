// The real TaskRunner with real, small processes: what a task's program
// gets and what comes back. Timeouts here are real (and short) because a
// real process must be killed.
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Effect, Result } from "effect";
import { runLive } from "@homelab/testing";
import { TaskRunner, type TaskOutcome, type TaskSpec } from "@homelab/process";
import { taskEnvironment } from "../src/work/taskEnv.ts";
import { expandCommand } from "../src/work/template.ts";
import { goneWithin } from "./support/processes.ts";

const run = (spec: Partial<TaskSpec> & Pick<TaskSpec, "argv">): Promise<TaskOutcome> =>
  runLive(
    TaskRunner.use((runner) =>
      runner.run({ env: taskEnvironment(process.env), timeoutMs: 10_000, maxOutputBytes: 65_536, ...spec })
    ).pipe(Effect.provide(TaskRunner.layer))
  );

const pidsIn = (text: string): Array<number> => text.trim().split(/\s+/).map(Number);

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "task-runner-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("TaskRunner with real processes", () => {
  it("runs echo: exit 0 with its stdout", async () => {
    const outcome = await run({ argv: ["echo", "hello world"] });
    expect(outcome).toEqual({
      _tag: "Exited",
      exitCode: 0,
      stdout: { text: "hello world\n", droppedBytes: 0, sanitized: false },
      stderr: { text: "", droppedBytes: 0, sanitized: false }
    });
  });

  it("reports `false` as exit code 1", async () => {
    expect(await run({ argv: ["false"] })).toMatchObject({ _tag: "Exited", exitCode: 1 });
  });

  it("reports exit code 3 with what the program wrote to stderr", async () => {
    const outcome = await run({ argv: ["sh", "-c", "echo partial; echo 'disk full' >&2; exit 3"] });
    expect(outcome).toEqual({
      _tag: "Exited",
      exitCode: 3,
      stdout: { text: "partial\n", droppedBytes: 0, sanitized: false },
      stderr: { text: "disk full\n", droppedBytes: 0, sanitized: false }
    });
  });

  it("reports a program killed by a signal", async () => {
    expect(await run({ argv: ["sh", "-c", "kill -SEGV $$"] })).toMatchObject({ _tag: "Signalled", signal: "SIGSEGV" });
  });

  it("kills the whole process group at the timeout, grandchild included, and says timed out", async () => {
    const started = Date.now();
    const outcome = await run({ argv: ["sh", "-c", "sleep 60 & echo $$ $!; wait"], timeoutMs: 700 });
    const elapsed = Date.now() - started;
    expect(outcome._tag).toBe("TimedOut");
    expect(outcome).toMatchObject({ timeoutMs: 700 });
    const [shell = 0, grandchild = 0] = outcome._tag === "TimedOut" ? pidsIn(outcome.stdout.text) : [];
    expect(grandchild).toBeGreaterThan(0);
    expect(await goneWithin(shell)).toBe(true);
    expect(await goneWithin(grandchild)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeLessThan(5000);
  });

  it("kills what a program left running in its group once the program exits", async () => {
    const outcome = await run({ argv: ["sh", "-c", "sleep 60 & echo $!"] });
    expect(outcome).toMatchObject({ _tag: "Exited", exitCode: 0 });
    const [background = 0] = outcome._tag === "Exited" ? pidsIn(outcome.stdout.text) : [];
    expect(background).toBeGreaterThan(0);
    expect(await goneWithin(background)).toBe(true);
  });

  it("kills the group when told to (the agent stopping), keeping the output so far", async () => {
    const outcome = await runLive(
      TaskRunner.use((runner) =>
        runner.run({
          argv: ["sh", "-c", "echo started; sleep 60 & echo $!; wait"],
          env: taskEnvironment(process.env),
          timeoutMs: 30_000,
          maxOutputBytes: 1000,
          killWhen: Effect.as(Effect.sleep("500 millis"), "agent stopping: killed after the 0.5 s shutdown grace")
        })
      ).pipe(Effect.provide(TaskRunner.layer))
    );
    expect(outcome).toMatchObject({ _tag: "Killed", reason: "agent stopping: killed after the 0.5 s shutdown grace" });
    const lines = outcome._tag === "Killed" ? outcome.stdout.text.trim().split("\n") : [];
    expect(lines[0]).toBe("started");
    expect(await goneWithin(Number(lines[1]))).toBe(true);
  });

  it("caps 1 MB of output at max_output_bytes, counts what it dropped, and the program still exits normally", async () => {
    // Were the pipe not drained past the cap, `head` would block on it and time out.
    const outcome = await run({ argv: ["sh", "-c", "yes abcdefg | head -c 1048576"], timeoutMs: 5000 });
    expect(outcome._tag).toBe("Exited");
    if (outcome._tag !== "Exited") return;
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout.droppedBytes).toBe(1_048_576 - 65_536);
    expect(outcome.stdout.text).toHaveLength(65_536);
    expect(outcome.stdout.text.startsWith("abcdefg\nabcdefg\n")).toBe(true);
  });

  it("keeps the tail of a long stderr", async () => {
    const outcome = await run({
      argv: ["sh", "-c", "yes noise | head -c 99996 >&2; echo 'the real reason' >&2; exit 2"],
      maxOutputBytes: 1000
    });
    expect(outcome._tag).toBe("Exited");
    if (outcome._tag !== "Exited") return;
    expect(outcome.stderr.text).toHaveLength(1000);
    expect(outcome.stderr.text.endsWith("noise\nthe real reason\n")).toBe(true);
    expect(outcome.stderr.droppedBytes).toBe(99_996 + "the real reason\n".length - 1000);
  });

  it("reports a command that is not on PATH as not started, naming it", async () => {
    expect(await run({ argv: ["no-such-tool-4821", "-v"] })).toEqual({
      _tag: "NotStarted",
      reason: "command not found: no-such-tool-4821"
    });
  });

  it("reports a file that is not executable as not started", async () => {
    const file = path.join(dir, "notes.txt");
    await writeFile(file, "echo ran\n", { mode: 0o644 });
    expect(await run({ argv: [file] })).toEqual({
      _tag: "NotStarted",
      reason: `${file} could not be started: permission denied (not executable?)`
    });
  });

  it("runs in the task's cwd, and reports a missing one without starting anything", async () => {
    expect(await run({ argv: ["pwd"], cwd: dir })).toMatchObject({ _tag: "Exited", stdout: { text: `${dir}\n` } });
    expect(await run({ argv: ["pwd"], cwd: path.join(dir, "absent") })).toEqual({
      _tag: "NotStarted",
      reason: `working directory ${path.join(dir, "absent")} does not exist`
    });
  });

  it("gives the program exactly the environment it is handed, and no stdin", async () => {
    const env = taskEnvironment(
      { ...process.env, AMQP_URL: "amqp://agent:hunter2@broker", SECRET_TOKEN: "s3cret", LANG: "C.UTF-8" },
      { CUDA_VISIBLE_DEVICES: "1" }
    );
    const outcome = await run({ argv: ["sh", "-c", "env; cat; echo stdin-closed"], env });
    expect(outcome._tag).toBe("Exited");
    const text = outcome._tag === "Exited" ? outcome.stdout.text : "";
    const names = text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => l.slice(0, l.indexOf("=")));
    // sh itself adds PWD (and may add SHLVL, _); nothing else from the agent.
    expect(names.filter((n) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(n)).sort()).toEqual(
      ["CUDA_VISIBLE_DEVICES", "HOME", "LANG", "PATH"].filter((n) => n !== "HOME" || process.env["HOME"] !== undefined).sort()
    );
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("s3cret");
    expect(text).toContain("CUDA_VISIBLE_DEVICES=1\n");
    expect(text.endsWith("stdin-closed\n")).toBe(true);
  });

  it("passes an injection attempt, once expanded, to the program as one literal argument", async () => {
    const marker = path.join(dir, "pwned");
    const attempts = [`x; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `a b && touch ${marker}`, "*"];
    for (const attempt of attempts) {
      const argv = expandCommand(["printf", "[%s]\\n", "{message}"], { message: attempt });
      expect(Result.isSuccess(argv)).toBe(true);
      if (Result.isFailure(argv)) return;
      const outcome = await run({ argv: argv.success, cwd: dir });
      expect(outcome).toMatchObject({ _tag: "Exited", exitCode: 0, stdout: { text: `[${attempt}]\n` } });
    }
    expect(existsSync(marker)).toBe(false);
  });
});
