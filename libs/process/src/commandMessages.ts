// What the main thread and the command worker say to each other.

export interface RunCommand {
  readonly type: "run";
  readonly id: number;
  readonly command: string;
  readonly args: ReadonlyArray<string>;
  /** null: the worker's (this process's) environment. */
  readonly env: Readonly<Record<string, string | undefined>> | null;
  readonly maxOutputBytes: number;
}

export interface KillCommand {
  readonly type: "kill";
  readonly id: number;
}

export type ToWorker = RunCommand | KillCommand;

/** Sent once the child runs, so the main thread can kill its group itself (even after the worker is gone). */
export interface CommandStarted {
  readonly id: number;
  readonly started: number;
}

export type CommandOutcome = "ok" | "not_found" | "failed" | "too_large" | "spawn_error";

export interface CommandReply {
  readonly id: number;
  readonly outcome: CommandOutcome;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly detail: string;
}
