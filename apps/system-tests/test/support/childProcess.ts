import { spawn } from "node:child_process";
import path from "node:path";
import { Effect, type Scope } from "effect";

/** The repository root: processes start here, as `nx run <app>:serve` starts them. */
export const repoRoot = path.resolve(__dirname, "../../../..");

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly pid: number;
  /** Resolves once the process has exited, with its code or signal. */
  readonly exited: Promise<Exit>;
  /** True until the process has exited. */
  readonly running: () => boolean;
  /** What it wrote to stderr so far: for failure messages only, tests never assert on logs. */
  readonly stderr: () => string;
  readonly signal: (signal: NodeJS.Signals) => void;
}

/**
 * Starts a process; the scope stops it (SIGTERM, then SIGKILL after
 * `graceMs`) and waits for its exit, whether the test passed or failed.
 */
export const spawnScoped = (
  name: string,
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  graceMs = 10_000
): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync((): Child => {
      const [command = process.execPath, ...args] = argv;
      const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => {
        // Keep the tail only: a failing test prints it, a long run must not grow it forever.
        stderr = (stderr + d.toString()).slice(-20_000);
      });
      let running = true;
      const exited = new Promise<Exit>((resolve) =>
        child.once("exit", (code, signal) => {
          running = false;
          resolve({ code, signal });
        })
      );
      if (child.pid === undefined) throw new Error(`${name}: could not start ${argv.join(" ")}`);
      return {
        pid: child.pid,
        exited,
        running: () => running,
        stderr: () => stderr,
        signal: (signal) => {
          if (running) child.kill(signal);
        }
      };
    }),
    (child) =>
      Effect.promise(async () => {
        if (!child.running()) return;
        child.signal("SIGTERM");
        const stopped = await within(child.exited, graceMs);
        if (stopped === "timed out") {
          child.signal("SIGKILL");
          await child.exited;
        }
      })
  );

export { eventually, freePort } from "@homelab/testing";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`'s value, or "timed out" after `ms`; the timer never outlives the answer. */
export const within = <A>(promise: Promise<A>, ms: number): Promise<A | "timed out"> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timed out">((resolve) => {
    timer = setTimeout(() => resolve("timed out"), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

/**
 * Records `probe` every `intervalMs` for `durationMs`: for behaviour that
 * must NOT happen within a window (the only way to see that is to watch it).
 */
export const observeFor = async <A>(probe: () => Promise<A>, durationMs: number, intervalMs = 100): Promise<ReadonlyArray<A>> => {
  const until = Date.now() + durationMs;
  const seen: Array<A> = [];
  while (Date.now() < until) {
    seen.push(await probe());
    await delay(intervalMs);
  }
  return seen;
};
