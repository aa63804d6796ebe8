import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Effect, Fiber } from "effect";
import { TestClock } from "effect/testing";
import { runLive, runTest, until } from "@homelab/testing";
import { CommandRunner, type CommandSpec } from "../src/index.ts";

const run = (spec: Partial<CommandSpec> & Pick<CommandSpec, "command" | "args">) =>
  CommandRunner.use((r) => r.run({ timeoutMs: 5000, maxOutputBytes: 1 << 20, ...spec })).pipe(
    Effect.provide(CommandRunner.layer)
  );

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "command-runner-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
};

/**
 * Polls a real-world condition (a file written, a process gone), up to 15 s:
 * a deadline for a receipt, generous because CI runs other suites (and the
 * system tests' processes) beside this one; it costs time only on failure.
 */
const waitFor = (condition: () => boolean, what: string) => until(what, condition, 15_000);

describe("CommandRunner", () => {
  it("passes arguments as argv, never through a shell", async () => {
    const out = await runLive(run({ command: "printf", args: ["%s|", "x; rm -rf ~", "$HOME", "`id`"] }));
    expect(out.stdout).toBe("x; rm -rf ~|$HOME|`id`|");
  });

  it("fails with CommandNotFound when the executable is not on PATH", async () => {
    const error = await runLive(Effect.flip(run({ command: "no-such-gpu-tool-xyz", args: [] })));
    expect(error._tag).toBe("CommandNotFound");
    expect(error.message).toBe("no-such-gpu-tool-xyz not found on PATH (ENOENT)");
  });

  it("fails with the exit code and the tool's first line of output when it exits non-zero", async () => {
    const error = await runLive(
      Effect.flip(run({ command: "sh", args: ["-c", "echo 'No devices were found' >&2; exit 6"] }))
    );
    expect(error).toMatchObject({ _tag: "CommandFailed", exitCode: 6, message: "sh exited with 6: No devices were found" });
  });

  it("kills the whole process tree at the deadline, driven by the TestClock", async () => {
    const pidFile = path.join(dir, "grandchild.pid");
    const result = await runTest(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          Effect.flip(
            run({ command: "sh", args: ["-c", `sleep 600 & echo $! > ${pidFile}; wait`], timeoutMs: 5000 })
          )
        );
        // Receipt: the grandchild has started once its pid is on disk.
        yield* Effect.promise(() => waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", "grandchild pid written"));
        yield* TestClock.adjust("4999 millis");
        const early = fiber.pollUnsafe();
        yield* TestClock.adjust("1 millis");
        return { early, error: yield* Fiber.join(fiber) };
      })
    );
    expect(result.early).toBeUndefined();
    expect(result.error).toMatchObject({ _tag: "CommandTimedOut", timeoutMs: 5000 });
    const grandchild = Number(readFileSync(pidFile, "utf8").trim());
    await waitFor(() => gone(grandchild), `grandchild ${grandchild} gone`);
  });

  it("kills a command whose output passes the cap", async () => {
    const error = await runLive(Effect.flip(run({ command: "yes", args: [], maxOutputBytes: 64 * 1024 })));
    expect(error).toMatchObject({ _tag: "CommandOutputTooLarge", limitBytes: 65536 });
  });

  it("runs commands concurrently on one worker", async () => {
    // A barrier: each command waits until all four have started, so run one
    // at a time they would all hit the deadline instead.
    const barrier = `touch ${dir}/$0; while [ $(ls ${dir} | wc -l) -lt 4 ]; do sleep 0.01; done; echo $0`;
    const outs = await runLive(
      Effect.all(
        [1, 2, 3, 4].map((n) => run({ command: "sh", args: ["-c", barrier, String(n)], timeoutMs: 3000 })),
        { concurrency: "unbounded" }
      )
    );
    expect(outs.map((o) => o.stdout.trim())).toEqual(["1", "2", "3", "4"]);
  });
});
