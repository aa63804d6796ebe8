/**
 * What every benchmark in tools/bench needs around the measurement: one-line
 * logging, cleanup that always runs (databases dropped, queues deleted, child
 * processes stopped), scratch databases on the local PostgreSQL, free ports,
 * and number formatting. Nothing here measures anything.
 */
import { type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "—";
export const passFail = (ok: boolean): string => (ok ? "pass" : "FAIL");
export const log = (line: string) => console.error(`bench: ${line}`);

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
};

/** p50, p99 and max of latencies (ms). */
export const latencyStats = (ms: ReadonlyArray<number>) => ({ p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), max: Math.max(...ms) });

/** How long `run` took (ms, performance.now) and what it gave. */
export const timed = async <A>(run: () => Promise<A>): Promise<[number, A]> => {
  const start = performance.now();
  const value = await run();
  return [performance.now() - start, value];
};

/**
 * Positional argument `index` of process.argv as a whole number from `min`
 * to `max`, `fallback` when absent; anything else prints `usage` with the
 * problem and exits 2.
 */
export const wholeArg = (usage: string, index: number, fallback: number, min: number, max: number): number => {
  const raw = process.argv[index];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${usage}\n(argument ${index - 1} must be a whole number from ${min} to ${max}; got "${raw}")`);
    process.exit(2);
  }
  return n;
};

/** Cleanup actions, run last-registered first; each at most once, failures reported and skipped. */
const cleanups: Array<{ name: string; run: () => Promise<void>; done: boolean }> = [];
export const onCleanup = (name: string, run: () => Promise<void>) => {
  const entry = { name, run, done: false };
  cleanups.push(entry);
  return async () => {
    if (entry.done) return;
    entry.done = true;
    await run().catch((e: unknown) => log(`cleanup "${name}" failed: ${errorText(e)}`));
  };
};
export const cleanupAll = async () => {
  for (const entry of [...cleanups].reverse()) {
    if (entry.done) continue;
    entry.done = true;
    await entry.run().catch((e: unknown) => log(`cleanup "${entry.name}" failed: ${errorText(e)}`));
  }
};

/** Child processes of this run: SIGKILLed if the run exits with them still there. */
export const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
export const abort = new AbortController();
process.on("SIGINT", () => {
  log("interrupted: stopping and cleaning up");
  abort.abort();
});
export const checkAbort = () => {
  if (abort.signal.aborted) throw new Error("interrupted (SIGINT)");
};

/**
 * Polls `${base}/readyz` until it answers 200 and returns the seconds since
 * `spawnedAt` (performance.now()). Throws, with the process's output, when
 * `exitedHow()` says the process is gone or after `timeoutMs`.
 */
export const untilReady = async (options: {
  readonly base: string;
  /** Names the process in errors, e.g. "the orchestrator (PGlite)". */
  readonly who: string;
  readonly spawnedAt: number;
  readonly timeoutMs: number;
  readonly exitedHow: () => string | undefined;
  readonly output: () => string;
  readonly pollMs?: number;
}): Promise<number> => {
  for (;;) {
    checkAbort();
    const exit = options.exitedHow();
    if (exit !== undefined) throw new Error(`${options.who} ${exit} before it was ready:\n${options.output()}`);
    if (performance.now() - options.spawnedAt > options.timeoutMs) {
      throw new Error(`${options.who} was not ready after ${options.timeoutMs / 1000} s:\n${options.output()}`);
    }
    const status = await fetch(`${options.base}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
    if (status === 200) return (performance.now() - options.spawnedAt) / 1000;
    await sleep(options.pollMs ?? 100);
  }
};

export const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
export const stopChild = async (child: ChildProcess, graceMs = 15_000) => {
  const exit = exited(child);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const result = await Promise.race([exit, sleep(graceMs).then(() => undefined)]);
  if (result !== undefined) return { ...result, killed: false };
  child.kill("SIGKILL");
  return { ...(await exit), killed: true };
};

/** The last `limit` characters written to a stream, for error reports. */
export const tail = (limit = 16 * 1024) => {
  let text = "";
  return {
    push: (chunk: Buffer) => {
      text = (text + chunk.toString("utf8")).slice(-limit);
    },
    text: () => text
  };
};

const withUrlDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/** CREATE DATABASE now (through the admin URL), DROP … WITH (FORCE) at cleanup. */
export const createDatabase = async (adminUrl: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const drop = onCleanup(`drop database ${name}`, async () => {
    const a = postgres(adminUrl, { max: 1, onnotice: () => undefined });
    try {
      await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await a.end({ timeout: 5 });
    }
  });
  return { url: withUrlDatabase(adminUrl, name), drop };
};

export { freePort } from "@homelab/testing";

/** Runs a benchmark's main: exit code 2 when the run itself broke, cleanup always. */
export const runBench = (main: () => Promise<number>): void =>
  void main()
    .catch((e: unknown) => {
      log(`run failed: ${errorText(e)}`);
      return 2;
    })
    .then(async (code) => {
      await cleanupAll();
      process.exit(code);
    });
