import { spawn, type ChildProcess } from "node:child_process";
import { Duration, Effect } from "effect";
import {
  CommandFailed,
  CommandNotFound,
  CommandOutputTooLarge,
  CommandTimedOut,
  type CommandError
} from "./errors.ts";

export interface CommandSpec {
  readonly command: string;
  readonly args: ReadonlyArray<string>;
  /** Deadline after which the command's whole process group is killed. */
  readonly timeoutMs: number;
  /** stdout + stderr beyond this many bytes kills the command. */
  readonly maxOutputBytes: number;
  /** Environment for the child; inherits the parent's when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

const killGroup = (child: ChildProcess): void => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // detached: true made the child a process-group leader; a negative pid
    // kills everything it started too (a wrapper script's own children).
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
};

/**
 * Runs one executable without a shell. Succeeds with its output when it exits
 * 0; otherwise fails with a typed error. The deadline is an Effect timeout, so
 * a TestClock drives it; on timeout or interruption the process group is
 * killed.
 */
export const runCommand = (spec: CommandSpec): Effect.Effect<CommandOutput, CommandError> => {
  const run = Effect.callback<CommandOutput, CommandError>((resume) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        shell: false,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: spec.env === undefined ? process.env : { ...spec.env }
      });
    } catch (cause) {
      resume(Effect.fail(notFound(spec.command, cause)));
      return;
    }
    const stdout: Array<Buffer> = [];
    const stderr: Array<Buffer> = [];
    let size = 0;
    let settled = false;
    const settle = (effect: Effect.Effect<CommandOutput, CommandError>) => {
      if (settled) return;
      settled = true;
      resume(effect);
    };
    const collect = (into: Array<Buffer>) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > spec.maxOutputBytes) {
        killGroup(child);
        settle(
          Effect.fail(
            new CommandOutputTooLarge({
              command: spec.command,
              limitBytes: spec.maxOutputBytes,
              message: `${spec.command} printed more than ${spec.maxOutputBytes} bytes; killed`
            })
          )
        );
        return;
      }
      into.push(chunk);
    };
    child.stdout?.on("data", collect(stdout));
    child.stderr?.on("data", collect(stderr));
    child.once("error", (cause) => settle(Effect.fail(notFound(spec.command, cause))));
    child.once("close", (exitCode, signal) => {
      const out = Buffer.concat(stdout).toString("utf8");
      const err = Buffer.concat(stderr).toString("utf8");
      if (exitCode === 0) {
        settle(Effect.succeed({ stdout: out, stderr: err }));
        return;
      }
      const said = (err.trim() || out.trim()).split("\n")[0] ?? "";
      settle(
        Effect.fail(
          new CommandFailed({
            command: spec.command,
            exitCode,
            signal,
            stdout: out,
            stderr: err,
            message: `${spec.command} exited with ${exitCode ?? `signal ${signal}`}${said ? `: ${said}` : ""}`
          })
        )
      );
    });
    return Effect.sync(() => killGroup(child));
  });
  const timeoutMs = spec.timeoutMs;
  return run.pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(timeoutMs),
      orElse: () =>
        Effect.fail(
          new CommandTimedOut({
            command: spec.command,
            timeoutMs,
            message: `${spec.command} did not finish within ${timeoutMs} ms; killed`
          })
        )
    })
  );
};

const notFound = (command: string, cause: unknown): CommandError => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "";
  if (code === "ENOENT" || code === "EACCES") {
    return new CommandNotFound({ command, message: `${command} not found on PATH (${code})` });
  }
  return new CommandFailed({
    command,
    exitCode: null,
    signal: null,
    stdout: "",
    stderr: "",
    message: `${command} could not be started: ${cause instanceof Error ? cause.message : String(cause)}`
  });
};
