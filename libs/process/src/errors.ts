import { Data } from "effect";

/** The executable is not on PATH (spawn reported ENOENT or EACCES). */
export class CommandNotFound extends Data.TaggedError("CommandNotFound")<{
  readonly command: string;
  readonly message: string;
}> {}

/** The command ran past its deadline and was killed (with its process group). */
export class CommandTimedOut extends Data.TaggedError("CommandTimedOut")<{
  readonly command: string;
  readonly timeoutMs: number;
  readonly message: string;
}> {}

/** The command exited non-zero or was killed by a signal; output is kept for diagnosis. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly message: string;
}> {}

/** The command printed more than the cap allows; it was killed. */
export class CommandOutputTooLarge extends Data.TaggedError("CommandOutputTooLarge")<{
  readonly command: string;
  readonly limitBytes: number;
  readonly message: string;
}> {}

export type CommandError = CommandNotFound | CommandTimedOut | CommandFailed | CommandOutputTooLarge;
