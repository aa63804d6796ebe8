import { readFileSync } from "node:fs";

/** Whether a process is still there (a zombie waiting for its reaper counts as gone). */
export const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
};

/**
 * Whether the process is gone within `timeoutMs`. SIGKILL is delivered
 * asynchronously: on a loaded machine a killed process can still be seen for
 * a few milliseconds, so tests wait for its end (a receipt with a deadline)
 * rather than sampling once. False only if it is still there at the deadline.
 */
export const goneWithin = async (pid: number, timeoutMs = 2000): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
};
