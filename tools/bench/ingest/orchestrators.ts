// The ingest bed: a fresh database, a reply queue of its own and N orchestrator processes (the bundle) on both.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName } from "@homelab/protocol";
import { type Scrape, parseMetrics } from "@homelab/testing";
import { rssKb } from "../procstat.ts";
import { children, exited, freePort, log, onCleanup, tail, untilReady } from "../support.ts";
import { READY_TIMEOUT_MS, amqpUrl, createDatabase, repoRoot, stopChild } from "./settings.ts";
import { sumOver } from "./histogram.ts";

export interface StopResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly killed: boolean;
}

export interface Orchestrator {
  readonly pid: number;
  readonly base: string;
  readonly readySeconds: number;
  readonly rssReadyKb: number;
  /** Set once the process exits on its own. */
  readonly earlyExit: () => string | undefined;
  /** Its stdout + stderr (LOG_LEVEL=warn), last 16 KiB. */
  readonly output: () => string;
  /** VmRSS sampled every second from spawn: max overall, max while `loadActive`, sample count. */
  readonly rss: () => { readonly maxKb: number; readonly maxLoadKb: number; readonly samples: number };
  readonly stop: () => Promise<StopResult>;
}

export interface IngestBed {
  readonly database: string;
  readonly databaseUrl: string;
  readonly replyQueue: string;
  readonly deadQueue: string;
  /** Admin connection for queue depths. */
  readonly admin: Connection;
  readonly orchestrators: ReadonlyArray<Orchestrator>;
  /** Marks the load window, for the RSS figures. */
  setLoadActive(active: boolean): void;
  /** /metrics of every orchestrator. */
  scrape(): Promise<ReadonlyArray<Scrape>>;
  /** Throws if an orchestrator exited on its own. */
  checkAlive(when: string): void;
  /** Stops the orchestrators, deletes the queues, drops the database (each at most once). */
  close(): Promise<void>;
}

export const scrapeOne = async (base: string): Promise<Scrape> => {
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return parseMetrics(await res.text());
};

/** Heartbeats applied + ignored, summed over the orchestrators. */
export const processed = (s: ReadonlyArray<Scrape>) => sumOver(s, "homelab_heartbeats_applied_total") + sumOver(s, "homelab_heartbeats_ignored_total");

const startOrchestrator = async (index: number, env: NodeJS.ProcessEnv, isLoadActive: () => boolean): Promise<Orchestrator> => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "bench-ingest-"));
  const removeDataDir = onCleanup(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const spawnedAt = performance.now();
  // node itself running the bundle: the child's pid is the orchestrator's.
  // BENCH_CPU_PROFILE_DIR=dir: the orchestrator writes a V8 CPU profile there when it exits.
  // BENCH_ORCHESTRATOR_BUNDLE=path: another build of the bundle (a copy of dist/apps/orchestrator kept to compare a lever against).
  const profile = process.env["BENCH_CPU_PROFILE_DIR"];
  const nodeArgs = [...(process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter(Boolean), ...(profile === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profile])];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, process.env["BENCH_ORCHESTRATOR_BUNDLE"] ?? "dist/apps/orchestrator/main.mjs"], {
    cwd: repoRoot,
    env: { ...env, DATA_DIR: dataDir, HTTP_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"]
  });
  children.add(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start the orchestrator");
  const output = tail();
  child.stderr?.on("data", output.push);
  child.stdout?.on("data", output.push);
  let earlyExit: string | undefined;
  void exited(child).then((e) => (earlyExit ??= `exited with ${e.signal ?? `code ${e.code}`}`));
  let rssMax = 0;
  let rssMaxLoad = 0;
  let rssSamples = 0;
  const rssTimer = setInterval(() => {
    void rssKb(pid).then((kb) => {
      if (kb === undefined) return;
      rssSamples += 1;
      rssMax = Math.max(rssMax, kb);
      if (isLoadActive()) rssMaxLoad = Math.max(rssMaxLoad, kb);
    });
  }, 1000);
  let stopResult: StopResult | undefined;
  const stopNow = onCleanup(`stop orchestrator ${index + 1} (pid ${pid})`, async () => {
    clearInterval(rssTimer);
    stopResult = await stopChild(child);
    await removeDataDir();
  });
  const stop = async (): Promise<StopResult> => {
    await stopNow();
    return stopResult ?? { code: null, signal: null, killed: false };
  };
  // Ready: broker and database up (migrations applied).
  const readySeconds = await untilReady({
    base,
    who: `orchestrator ${index + 1}`,
    spawnedAt,
    timeoutMs: READY_TIMEOUT_MS,
    exitedHow: () => earlyExit,
    output: output.text,
    pollMs: 250
  });
  const rssReadyKb = (await rssKb(pid)) ?? Number.NaN;
  log(`orchestrator ${index + 1} ready in ${readySeconds.toFixed(1)} s (pid ${pid}, port ${port})`);
  return {
    pid,
    base,
    readySeconds,
    rssReadyKb,
    earlyExit: () => earlyExit,
    output: output.text,
    rss: () => ({ maxKb: rssMax, maxLoadKb: rssMaxLoad, samples: rssSamples }),
    stop
  };
};

/**
 * A fresh database `bench_<suffix>_<name>`, reply queue `bench.replies.<suffix>.<name>`
 * (`bench.replies.<suffix>` when name is "orch") and `count` orchestrators on
 * both, started one after another so only the first one migrates.
 */
export const startIngestBed = async (name: string, count: number, suffix: string): Promise<IngestBed> => {
  const database = `bench_${suffix}_${name}`;
  const db = await createDatabase(database);
  const replyQueue = name === "orch" ? `bench.replies.${suffix}` : `bench.replies.${suffix}.${name}`;
  const deadQueue = deadLetterQueueName(replyQueue);
  const admin = new Connection({ url: amqpUrl, noDelay: true, retryLow: 200, retryHigh: 1000 });
  admin.on("error", (e) => log(`broker connection: ${e.message}`));
  const closeAdmin = onCleanup(`close admin connection (${name})`, () => admin.close());
  const deleteQueues = onCleanup(`delete queues ${replyQueue}, ${deadQueue}`, async () => {
    await admin.queueDelete({ queue: replyQueue });
    await admin.queueDelete({ queue: deadQueue });
  });
  const orchestrators: Array<Orchestrator> = [];
  let loadActive = false;
  const close = async () => {
    for (const o of orchestrators) await o.stop();
    await deleteQueues();
    await closeAdmin();
    await db.drop();
  };
  try {
    await admin.onConnect(10_000);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AMQP_URL: amqpUrl,
      REPLY_QUEUE: replyQueue,
      DATABASE_URL: db.url,
      HTTP_HOST: "127.0.0.1",
      HEARTBEAT_TIMEOUT_SECONDS: "86400",
      OFFLINE_SWEEP_INTERVAL_SECONDS: "3600",
      LOG_LEVEL: "warn"
    };
    delete env["ORCHESTRATOR_CONFIG"]; // env and defaults only
    delete env["API_TOKEN"];
    for (let i = 0; i < count; i++) orchestrators.push(await startOrchestrator(i, env, () => loadActive));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    database,
    databaseUrl: db.url,
    replyQueue,
    deadQueue,
    admin,
    orchestrators,
    setLoadActive: (active) => (loadActive = active),
    scrape: () => Promise.all(orchestrators.map((o) => scrapeOne(o.base))),
    checkAlive: (when) => {
      for (const [i, o] of orchestrators.entries()) {
        const exit = o.earlyExit();
        if (exit !== undefined) throw new Error(`orchestrator ${i + 1} ${exit} ${when}:\n${o.output()}`);
      }
    },
    close
  };
};
