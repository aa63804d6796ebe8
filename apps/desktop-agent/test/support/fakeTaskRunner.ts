import { Effect, Layer } from "effect";
import { TaskRunner, type TaskOutcome, type TaskSpec } from "@homelab/process";

/**
 * A TaskRunner for unit tests under a TestClock, where programs take logical
 * time: `sleep N` runs N seconds and exits 0, `exit N` exits N at once, any
 * other program prints its arguments and exits 0. Timeouts and the agent's
 * kill signal apply as in the real runner. Every run is recorded. The real
 * runner is tested with real processes in TaskRunner.test.ts.
 */
export const makeFakeTaskRunner = () => {
  const runs: Array<TaskSpec> = [];
  const none = { text: "", droppedBytes: 0, sanitized: false };
  const run = (spec: TaskSpec): Effect.Effect<TaskOutcome> => {
    runs.push(spec);
    const [program, ...args] = spec.argv;
    const seconds = program === "sleep" ? Number(args[0]) : 0;
    const exitCode = program === "exit" ? Number(args[0]) : 0;
    const stdout = program === "sleep" || program === "exit" ? none : { text: `${args.join(" ")}\n`, droppedBytes: 0, sanitized: false };
    return Effect.raceAllFirst([
      Effect.as(Effect.sleep(`${seconds} seconds`), { _tag: "Exited", exitCode, stdout, stderr: none } as const),
      Effect.as(Effect.sleep(spec.timeoutMs), { _tag: "TimedOut", timeoutMs: spec.timeoutMs, stdout: none, stderr: none } as const),
      Effect.map(spec.killWhen ?? Effect.never, (reason) => ({ _tag: "Killed", reason, stdout: none, stderr: none }) as const)
    ]);
  };
  return { runs: () => [...runs], layer: Layer.succeed(TaskRunner, { run }) };
};

/** The fake runner for tests that never look at its runs. */
export const fakeTaskRunnerLayer = makeFakeTaskRunner().layer;
