/**
 * @homelab/process — running programs, one way: never through a shell,
 * each the leader of its own process group (a timeout kills what it started
 * too), stdin closed, output capped. CommandRunner runs tools for the
 * heartbeat path in a worker thread (commandWorker.ts, a module of its own)
 * and fails with typed errors; TaskRunner runs work, capturing stdout's head
 * and stderr's tail, and never fails (every ending is a TaskOutcome).
 */
export { type Capture, type Captured, headCapture, outputText, stderrText, tailCapture } from "./capture.ts";
export { CommandRunner, type CommandOutput, type CommandRunnerShape, type CommandSpec } from "./CommandRunner.ts";
export { CommandFailed, type CommandError, CommandNotFound, CommandOutputTooLarge, CommandTimedOut } from "./errors.ts";
export { errorCode, isNotFound, killGroup, spawnGroup, type SpawnOptions } from "./group.ts";
export { type TaskOutcome, TaskRunner, type TaskSpec } from "./TaskRunner.ts";
