import { type ChildProcess, spawn } from "node:child_process";

// Spawning a program the one way this project does it: never through a
// shell, stdin closed, stdout and stderr piped, and as the leader of a new
// process group, so that killing the group kills whatever it started too.
// Plain Node (no Effect): the command worker thread uses it as it is.

export interface SpawnOptions {
  /** The child's whole environment; this process's when absent. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly cwd?: string | undefined;
}

/** Spawns `program` with `args` (may throw synchronously, e.g. on an invalid argument). */
export const spawnGroup = (program: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): ChildProcess =>
  spawn(program, [...args], {
    shell: false,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env === undefined ? process.env : { ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd })
  });

/** SIGKILL to the process group led by `pid`; nothing when it is already gone. */
export const killGroup = (pid: number): void => {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already empty.
  }
};

/** The spawn error's code (ENOENT, EACCES, …), or "". */
export const errorCode = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";

/** The program is missing or not executable: spawn reported ENOENT or EACCES. */
export const isNotFound = (error: unknown): boolean => ["ENOENT", "EACCES"].includes(errorCode(error));
