// The ingest benchmark's arguments, constants and small helpers (see ../ingest.ts).
import { type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Connection } from "rabbitmq-client";
import { assertLocalUrl, DEFAULT_AMQP_URL, newRunId } from "../../loadgen/agents.ts";
import { createDatabase as createBenchDatabase, stopChild as stopBenchChild } from "../support.ts";


// ---------------------------------------------------------------------------
// Arguments and constants

export const usage = "usage: ingest.ts [seconds=60] [rate=5000] [agents=1000]";
export const argNumber = (index: number, fallback: number, min: number, max: number): number => {
  const raw = process.argv[index];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`${usage}\n(argument ${index - 1} must be a number from ${min} to ${max}; got "${raw}")`);
    process.exit(2);
  }
  return n;
};
export const seconds = argNumber(2, 60, 5, 600);
export const rate = argNumber(3, 5000, 1, 100_000);
export const agentCount = Math.floor(argNumber(4, 1000, 1, 100_000));

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const amqpUrl = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
assertLocalUrl(adminUrl);
assertLocalUrl(amqpUrl);

/** Each baseline runs this long (they measure capacity, so they need not last the whole load). */
export const baselineSeconds = Math.max(5, Math.min(20, seconds));
export const DB_BATCH = 500;
/** As the orchestrator's consumer: prefetch = handler concurrency = 2 × its batch of 500. */
export const PREFETCH = 1000;
export const READY_TIMEOUT_MS = 120_000;
export const STOP_TIMEOUT_MS = 15_000;
/** Draining ends when everything confirmed was processed, or nothing moved for this long, or after the cap. */
export const DRAIN_IDLE_MS = 15_000;
export const drainCapMs = Math.max(120, 2 * seconds) * 1000;

export const TARGET_RATE = 5000;
export const TARGET_SECONDS = 60;
export const TARGET_P99_S = 0.25;
export const TARGET_RSS_MB = 300;

export const suffix = randomBytes(4).toString("hex");
export const classicBaseline = process.env["BENCH_BROKER_QUEUE"] === "classic";
/** BENCH_GENERATOR_CORK=0: the generator writes each publish to its socket as it is sent (no corking per burst), in a. and c. */
export const generatorCork = process.env["BENCH_GENERATOR_CORK"] !== "0";
export const runId = newRunId();
/** BENCH_STEP=1: find the highest sustained rate with one orchestrator (rate steps after c.). */
export const stepping = process.env["BENCH_STEP"] === "1" || process.env["BENCH_SCALE"] === "1";
/** BENCH_SCALE=1: the same with two orchestrators on one reply queue and one database (implies BENCH_STEP=1). */
export const scaleOut = process.env["BENCH_SCALE"] === "1";
/** BENCH_STEP_SECONDS: the load window of each rate step (default 15). */
export const stepSeconds = (() => {
  const raw = process.env["BENCH_STEP_SECONDS"];
  const n = raw === undefined ? 15 : Number(raw);
  if (!Number.isFinite(n) || n < 5 || n > 120) {
    console.error(`BENCH_STEP_SECONDS must be a number from 5 to 120; got "${raw}"`);
    process.exit(2);
  }
  return n;
})();

// ---------------------------------------------------------------------------
// Small helpers

export const mb = (kb: number): string => (kb / 1024).toFixed(1);
export const createDatabase = (name: string) => createBenchDatabase(adminUrl, name);
export const stopChild = (child: ChildProcess, graceMs = STOP_TIMEOUT_MS) => stopBenchChild(child, graceMs);

/** Messages ready in a queue (passive declare); undefined if it cannot be read. */
export const queueDepth = async (conn: Connection, queue: string): Promise<number | undefined> => {
  try {
    const ok = await conn.queueDeclare({ queue, passive: true });
    return ok.messageCount;
  } catch {
    return undefined;
  }
};

export { postgresGroups } from "../procstat.ts";
