/**
 * Benchmark: heartbeat ingest of the orchestrator, against two baselines
 * measured in the same run.
 *
 *   npx nx run orchestrator:build && npx tsx tools/bench/ingest.ts [seconds=60] [rate=5000] [agents=1000]
 *
 * a. broker alone: the load generator (tools/loadgen) publishes the same
 *    heartbeats, uncapped, to a scratch queue with the reply queue's topology,
 *    and a consumer process of its own (ingest-consumer.ts) acks each one, no
 *    database: messages/s end to end.
 * b. database alone: the same heartbeats applied with
 *    AgentRegistry.applyHeartbeats (layerPostgres on a fresh database) in
 *    batches of 500, one after another, as fast as it goes, no broker.
 * c. the real thing: the orchestrator process as deployed (the bundle
 *    `npx nx run orchestrator:build` writes: dist/apps/orchestrator/main.mjs) on a fresh database and a reply queue of
 *    its own; the generator publishes at `rate` for `seconds`; then the queue
 *    is drained. Figures: applied+ignored heartbeats/s over the load window
 *    (/metrics at its start and end), receive→commit quantiles from the
 *    ingest_commit_seconds histogram, lost heartbeats (agent_registry.last_seq
 *    against the last seq the broker confirmed to the generator, per agent),
 *    and the orchestrator's VmRSS sampled every second.
 *
 * Everything stays on 127.0.0.1; every database (bench_<random>_…) and queue
 * this run creates is removed at its end, and its child processes are killed.
 * Exit code: 0 when the run completed (whether or not a target was met: the
 * figures are the product), 2 when the run itself broke.
 * DATABASE_URL (an admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * and AMQP_URL as for the apps. BENCH_BROKER_QUEUE=classic: baseline a. on a
 * classic durable queue instead (what the quorum queue costs). BENCH_CPU_PROFILE_DIR=dir: the orchestrator
 * writes a V8 CPU profile (.cpuprofile) there when it exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Layer, ManagedRuntime, Redacted } from "effect";
import postgres from "postgres";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName, type StatusUpdate } from "@homelab/protocol";
import { AgentRegistry, AgentRegistryLive, postgresDatabase } from "@homelab/registry";
import { histogramBuckets, metricSum, type Scrape, parseMetrics } from "@homelab/testing";
import {
  assertLocalUrl,
  DEFAULT_AMQP_URL,
  declareReplyQueue,
  type LoadResult,
  makeFleet,
  newRunId,
  nextHeartbeat,
  runLoad
} from "../loadgen/agents.ts";
import { cpuWindow, type CpuGroup, type CpuReport, machineBusyNow, rssKb, topProcesses } from "./procstat.ts";
import {
  abort,
  checkAbort,
  children,
  cleanupAll,
  createDatabase as createBenchDatabase,
  errorText,
  exited,
  fmt,
  freePort,
  log,
  onCleanup,
  passFail,
  stopChild as stopBenchChild,
  tail
} from "./support.ts";

// ---------------------------------------------------------------------------
// Arguments and constants

const usage = "usage: ingest.ts [seconds=60] [rate=5000] [agents=1000]";
const argNumber = (index: number, fallback: number, min: number, max: number): number => {
  const raw = process.argv[index];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`${usage}\n(argument ${index - 1} must be a number from ${min} to ${max}; got "${raw}")`);
    process.exit(2);
  }
  return n;
};
const seconds = argNumber(2, 60, 5, 600);
const rate = argNumber(3, 5000, 1, 100_000);
const agentCount = Math.floor(argNumber(4, 1000, 1, 100_000));

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const amqpUrl = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
assertLocalUrl(adminUrl);
assertLocalUrl(amqpUrl);

/** Each baseline runs this long (they measure capacity, so they need not last the whole load). */
const baselineSeconds = Math.max(5, Math.min(20, seconds));
const DB_BATCH = 500;
/** As the orchestrator's consumer: prefetch = handler concurrency = 2 × its batch of 500. */
const PREFETCH = 1000;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
/** Draining ends when everything confirmed was processed, or nothing moved for this long, or after the cap. */
const DRAIN_IDLE_MS = 15_000;
const drainCapMs = Math.max(120, 2 * seconds) * 1000;

const TARGET_RATE = 5000;
const TARGET_SECONDS = 60;
const TARGET_P99_S = 0.25;
const TARGET_RSS_MB = 300;

const suffix = randomBytes(4).toString("hex");
const classicBaseline = process.env["BENCH_BROKER_QUEUE"] === "classic";
const runId = newRunId();

// ---------------------------------------------------------------------------
// Small helpers

const mb = (kb: number): string => (kb / 1024).toFixed(1);
const createDatabase = (name: string) => createBenchDatabase(adminUrl, name);
const stopChild = (child: ChildProcess, graceMs = STOP_TIMEOUT_MS) => stopBenchChild(child, graceMs);

/** Messages ready in a queue (passive declare); undefined if it cannot be read. */
const queueDepth = async (conn: Connection, queue: string): Promise<number | undefined> => {
  try {
    const ok = await conn.queueDeclare({ queue, passive: true });
    return ok.messageCount;
  } catch {
    return undefined;
  }
};

/** PostgreSQL split into the backends serving `database` and everything else (server processes, other databases). */
const postgresGroups = (database: string): Array<CpuGroup> => [
  { label: `postgres: backends of ${database}`, comm: "postgres", cmdline: (c) => c.includes(` ${database} `) },
  { label: "postgres: other (server processes, other databases)", comm: "postgres", cmdline: (c) => !c.includes(` ${database} `) }
];

// ---------------------------------------------------------------------------
// Prometheus text

const sumOf = metricSum;
const bucketsOf = histogramBuckets;

/** Buckets of `end` minus those of `start` (the window's observations). */
const bucketDelta = (end: Scrape, start: Scrape, name: string): Array<[number, number]> => {
  const before = new Map(bucketsOf(start, name));
  return bucketsOf(end, name).map(([le, n]) => [le, n - (before.get(le) ?? 0)]);
};

/** The upper bound of the bucket holding quantile q (the true value is at most this). */
const bucketQuantile = (buckets: ReadonlyArray<[number, number]>, q: number): number => {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = Math.ceil(q * total);
  for (const [le, n] of buckets) if (n >= rank) return le;
  return Number.POSITIVE_INFINITY;
};

const showBound = (seconds: number, unit: "ms" | "" = "ms"): string =>
  Number.isNaN(seconds)
    ? "—"
    : seconds === Number.POSITIVE_INFINITY
      ? "> largest bucket"
      : unit === "ms"
        ? `≤ ${fmt(seconds * 1000, seconds < 0.01 ? 1 : 0)} ms`
        : `≤ ${fmt(seconds)}`;

// ---------------------------------------------------------------------------
// a. broker alone

interface BrokerBaseline {
  readonly load: LoadResult;
  readonly consumed: number;
  /** consumed / (last consume − first publish). */
  readonly endToEndRate: number;
  readonly cpu: CpuReport;
}

const brokerAlone = async (): Promise<BrokerBaseline> => {
  const queue = `bench.scratch.${suffix}`;
  const admin = new Connection({ url: amqpUrl, noDelay: true, retryLow: 200, retryHigh: 1000 });
  admin.on("error", (e) => log(`broker connection: ${e.message}`));
  const closeAdmin = onCleanup("close admin connection (a)", () => admin.close());
  const deleteQueues = onCleanup(`delete queues ${queue}, ${deadLetterQueueName(queue)}`, async () => {
    await admin.queueDelete({ queue });
    await admin.queueDelete({ queue: deadLetterQueueName(queue) });
  });
  try {
    await admin.onConnect(10_000);
    // BENCH_BROKER_QUEUE=classic: the baseline on a classic durable queue
    // instead of the protocol's quorum queue (what that choice costs).
    if (classicBaseline) await admin.queueDeclare({ queue, durable: true });
    else await declareReplyQueue(admin, queue);
    const consumerArgs = [path.join(repoRoot, "tools/bench/ingest-consumer.ts"), queue, String(PREFETCH), classicBaseline ? "classic" : "quorum"];
    const child = spawn(process.execPath, ["--import", "tsx", ...consumerArgs], {
      cwd: repoRoot,
      env: { ...process.env, AMQP_URL: amqpUrl },
      stdio: ["pipe", "pipe", "pipe"]
    });
    children.add(child);
    const stopConsumer = onCleanup("stop broker-baseline consumer", async () => {
      await stopChild(child, 5000);
    });
    const stderr = tail();
    child.stderr?.on("data", stderr.push);
    let ready = false;
    let consumed = 0;
    let lastAtMs = 0;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const v = JSON.parse(line) as { ready?: boolean; consumed?: number; lastAtMs?: number };
        if (v.ready === true) ready = true;
        if (typeof v.consumed === "number") consumed = v.consumed;
        if (typeof v.lastAtMs === "number") lastAtMs = v.lastAtMs;
      } catch {
        // not a report line
      }
    });
    for (let waited = 0; !ready; waited += 100) {
      checkAbort();
      if (child.exitCode !== null || waited > 60_000) {
        throw new Error(`the broker-baseline consumer did not start: ${stderr.text() || "(no output)"}`);
      }
      await sleep(100);
    }
    const cpu = cpuWindow([
      { label: "rabbitmq (beam.smp)", comm: "beam.smp" },
      ...(child.pid === undefined ? [] : [{ label: "consumer (node, separate process)", pids: [child.pid] }]),
      { label: "generator (this node process)", pids: [process.pid] }
    ]);
    await cpu.start();
    const sampler = setInterval(() => void cpu.sample(), 1000);
    let load: LoadResult;
    try {
      load = await runLoad({
        amqpUrl,
        queue,
        agents: agentCount,
        rate: Number.POSITIVE_INFINITY,
        seconds: baselineSeconds,
        runId: `${runId}a`,
        declare: false,
        signal: abort.signal
      });
      if (load.failed > 0) throw new Error(`broker baseline: ${load.failed} publishes failed (${load.firstError ?? "?"})`);
      // Wait for the consumer to take everything that was confirmed.
      let seen = consumed;
      let idleSince = performance.now();
      while (consumed < load.confirmed && performance.now() - idleSince < 10_000) {
        checkAbort();
        await sleep(100);
        if (consumed !== seen) {
          seen = consumed;
          idleSince = performance.now();
        }
      }
    } finally {
      clearInterval(sampler);
    }
    const cpuReport = await cpu.stop();
    await stopConsumer();
    const endToEnd = consumed / Math.max(0.001, (lastAtMs - load.startedAtMs) / 1000);
    return { load, consumed, endToEndRate: endToEnd, cpu: cpuReport };
  } finally {
    await deleteQueues();
    await closeAdmin();
  }
};

// ---------------------------------------------------------------------------
// b. database alone

interface DatabaseBaseline {
  readonly heartbeats: number;
  readonly batches: number;
  /** heartbeats / time spent in applyHeartbeats. */
  readonly applyRate: number;
  /** heartbeats / wall time of the loop (payload generation included). */
  readonly wallRate: number;
  readonly batchP50Ms: number;
  readonly batchP99Ms: number;
  readonly cpu: CpuReport;
}

const databaseAlone = async (): Promise<DatabaseBaseline> => {
  const db = await createDatabase(`bench_${suffix}_db`);
  try {
    const runtime = ManagedRuntime.make(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(db.url)))));
    const dispose = onCleanup("dispose registry runtime (b)", () => runtime.dispose());
    try {
      const registry = await runtime.runPromise(AgentRegistry.useSync((r) => r));
      const fleet = makeFleet(`${runId}b`, agentCount);
      let next = 0;
      const batchOf = (): Array<StatusUpdate> => {
        const now = new Date().toISOString();
        return Array.from({ length: DB_BATCH }, () => {
          const agent = fleet[next % fleet.length]!;
          next += 1;
          return nextHeartbeat(agent, now);
        });
      };
      const cpu = cpuWindow([...postgresGroups(`bench_${suffix}_db`), { label: "bench (this node process)", pids: [process.pid] }]);
      await cpu.start();
      const sampler = setInterval(() => void cpu.sample(), 1000);
      const durations: Array<number> = [];
      let heartbeats = 0;
      let inApply = 0;
      const start = performance.now();
      try {
        while (performance.now() - start < baselineSeconds * 1000) {
          checkAbort();
          const batch = batchOf();
          const t = performance.now();
          const result = await runtime.runPromise(registry.applyHeartbeats(batch));
          const d = performance.now() - t;
          durations.push(d);
          inApply += d;
          heartbeats += batch.length;
          if (result.applied + result.ignored !== batch.length) {
            log(`database baseline: a batch of ${batch.length} came back as ${result.applied} applied + ${result.ignored} ignored`);
          }
        }
      } finally {
        clearInterval(sampler);
      }
      const wall = performance.now() - start;
      const cpuReport = await cpu.stop();
      durations.sort((a, b) => a - b);
      const q = (p: number) => durations[Math.min(durations.length - 1, Math.ceil(p * durations.length) - 1)] ?? Number.NaN;
      return {
        heartbeats,
        batches: durations.length,
        applyRate: heartbeats / (inApply / 1000),
        wallRate: heartbeats / (wall / 1000),
        batchP50Ms: q(0.5),
        batchP99Ms: q(0.99),
        cpu: cpuReport
      };
    } finally {
      await dispose();
    }
  } finally {
    await db.drop();
  }
};

// ---------------------------------------------------------------------------
// c. the orchestrator

interface RealRun {
  readonly load: LoadResult;
  /** applied + ignored over the load window, per second. */
  readonly sustainedRate: number;
  readonly processedInWindow: number;
  readonly processedTotal: number;
  readonly appliedTotal: number;
  readonly ignoredTotal: number;
  readonly drainSeconds: number;
  readonly drained: boolean;
  readonly depthAtLoadEnd: number | undefined;
  readonly maxDepth: number;
  readonly commitP50: number;
  readonly commitP99: number;
  readonly commitBuckets: ReadonlyArray<[number, number]>;
  readonly batches: number;
  readonly batchSizeP50: number;
  readonly batchSizeBuckets: ReadonlyArray<[number, number]>;
  readonly meanBatchSize: number;
  readonly lost: { readonly expected: number; readonly match: number; readonly differ: number; readonly missing: number; readonly examples: ReadonlyArray<string> };
  readonly rssMaxKb: number;
  readonly rssMaxLoadKb: number;
  readonly rssSamples: number;
  readonly rssReadyKb: number;
  readonly rejected: number;
  readonly deadLettered: number | undefined;
  readonly readySeconds: number;
  readonly stop: { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly killed: boolean };
  readonly stderr: string;
  readonly cpu: CpuReport;
  /** The busiest processes on the machine over a few seconds in the middle of the load. */
  readonly top: ReadonlyArray<{ pid: number; command: string; share: number }>;
  readonly topSeconds: number;
}

const scrape = async (base: string): Promise<Scrape> => {
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return parseMetrics(await res.text());
};
const processed = (s: Scrape) => sumOf(s, "heartbeats_applied_total") + sumOf(s, "heartbeats_ignored_total");

const realRun = async (): Promise<RealRun> => {
  const db = await createDatabase(`bench_${suffix}_orch`);
  const replyQueue = `bench.replies.${suffix}`;
  const deadQueue = deadLetterQueueName(replyQueue);
  const admin = new Connection({ url: amqpUrl, noDelay: true, retryLow: 200, retryHigh: 1000 });
  admin.on("error", (e) => log(`broker connection: ${e.message}`));
  const closeAdmin = onCleanup("close admin connection (c)", () => admin.close());
  const deleteQueues = onCleanup(`delete queues ${replyQueue}, ${deadQueue}`, async () => {
    await admin.queueDelete({ queue: replyQueue });
    await admin.queueDelete({ queue: deadQueue });
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), "bench-ingest-"));
  const removeDataDir = onCleanup(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  try {
    await admin.onConnect(10_000);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AMQP_URL: amqpUrl,
      REPLY_QUEUE: replyQueue,
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: String(port),
      HEARTBEAT_TIMEOUT_SECONDS: "86400",
      OFFLINE_SWEEP_INTERVAL_SECONDS: "3600",
      LOG_LEVEL: "warn"
    };
    delete env["ORCHESTRATOR_CONFIG"]; // env and defaults only
    delete env["API_TOKEN"];
    const spawnedAt = performance.now();
    // node itself running the bundle: the child's pid is the orchestrator's.
    // BENCH_CPU_PROFILE_DIR=dir: the orchestrator writes a V8 CPU profile there when it exits.
    const profile = process.env["BENCH_CPU_PROFILE_DIR"];
    const nodeArgs = [...(process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter(Boolean), ...(profile === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profile])];
    const child = spawn(process.execPath, [...nodeArgs, "dist/apps/orchestrator/main.mjs"], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"]
    });
    children.add(child);
    const pid = child.pid;
    if (pid === undefined) throw new Error("could not start the orchestrator");
    let stopResult: { code: number | null; signal: NodeJS.Signals | null; killed: boolean } | undefined;
    const stopOrchestrator = onCleanup("stop orchestrator", async () => {
      stopResult = await stopChild(child);
    });
    const stderr = tail();
    child.stderr?.on("data", stderr.push);
    child.stdout?.on("data", stderr.push);
    let earlyExit: string | undefined;
    void exited(child).then((e) => (earlyExit ??= `exited with ${e.signal ?? `code ${e.code}`}`));

    // Resident memory, every second, for the orchestrator's whole life.
    let loadActive = false;
    let rssMax = 0;
    let rssMaxLoad = 0;
    let rssSamples = 0;
    const rssTimer = setInterval(() => {
      void rssKb(pid).then((kb) => {
        if (kb === undefined) return;
        rssSamples += 1;
        rssMax = Math.max(rssMax, kb);
        if (loadActive) rssMaxLoad = Math.max(rssMaxLoad, kb);
      });
    }, 1000);
    try {
      // Ready: broker and database up (migrations applied).
      for (;;) {
        checkAbort();
        if (earlyExit !== undefined) throw new Error(`the orchestrator ${earlyExit} before it was ready:\n${stderr.text()}`);
        if (performance.now() - spawnedAt > READY_TIMEOUT_MS) throw new Error(`the orchestrator was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${stderr.text()}`);
        const status = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status,
          () => 0
        );
        if (status === 200) break;
        await sleep(250);
      }
      const readySeconds = (performance.now() - spawnedAt) / 1000;
      const rssReadyKb = (await rssKb(pid)) ?? Number.NaN;
      log(`orchestrator ready in ${readySeconds.toFixed(1)} s (pid ${pid}, port ${port}); load: ${fmt(rate)}/s for ${seconds} s`);

      const m0 = await scrape(base);
      const cpu = cpuWindow([
        { label: "rabbitmq (beam.smp)", comm: "beam.smp" },
        ...postgresGroups(`bench_${suffix}_orch`),
        { label: "orchestrator (node)", pids: [pid] },
        { label: "generator + bench (this node process)", pids: [process.pid] }
      ]);
      await cpu.start();
      let maxDepth = 0;
      const depthTimer = setInterval(() => {
        void cpu.sample();
        void queueDepth(admin, replyQueue).then((d) => {
          if (d !== undefined) maxDepth = Math.max(maxDepth, d);
        });
      }, 1000);
      let load: LoadResult;
      let m1: Scrape;
      let cpuReport: CpuReport;
      loadActive = true;
      // A top-like snapshot of every process, over a few seconds in the middle of the load.
      const topSeconds = Math.min(5, seconds / 2);
      let top: Array<{ pid: number; command: string; share: number }> = [];
      const topTimer = setTimeout(() => {
        void topProcesses(topSeconds * 1000, 10).then((t) => (top = t));
      }, ((seconds - topSeconds) / 2) * 1000);
      try {
        load = await runLoad({
          amqpUrl,
          queue: replyQueue,
          agents: agentCount,
          rate,
          seconds,
          runId,
          signal: abort.signal,
          onProgress: (p) => {
            if (Math.round(p.elapsedSeconds) % 10 === 0) {
              log(`  t=${p.elapsedSeconds.toFixed(0)} s: sent ${fmt(p.sent)}, confirmed ${fmt(p.confirmed)}, in flight ${p.inFlight}`);
            }
            if (earlyExit !== undefined) abort.abort();
          }
        });
        m1 = await scrape(base);
      } finally {
        loadActive = false;
        clearInterval(depthTimer);
        clearTimeout(topTimer);
        cpuReport = await cpu.stop();
      }
      if (earlyExit !== undefined) throw new Error(`the orchestrator ${earlyExit} during the load:\n${stderr.text()}`);
      checkAbort();
      const depthAtLoadEnd = await queueDepth(admin, replyQueue);
      if (depthAtLoadEnd !== undefined) maxDepth = Math.max(maxDepth, depthAtLoadEnd);
      log(`load done: ${fmt(load.confirmed)} confirmed in ${load.elapsedSeconds.toFixed(1)} s; ${fmt(depthAtLoadEnd ?? Number.NaN)} waiting in the queue; draining`);

      // Drain: until all that was confirmed is processed and the queue is empty.
      const drainStart = performance.now();
      const goal = processed(m0) + load.confirmed;
      let last = processed(m1);
      let lastMoved = performance.now();
      let drained = false;
      let m2 = m1;
      while (performance.now() - drainStart < drainCapMs) {
        checkAbort();
        if (earlyExit !== undefined) throw new Error(`the orchestrator ${earlyExit} while draining:\n${stderr.text()}`);
        const depth = await queueDepth(admin, replyQueue);
        m2 = await scrape(base);
        const now = processed(m2);
        if (now !== last) {
          last = now;
          lastMoved = performance.now();
        }
        if (depth === 0 && now >= goal) {
          drained = true;
          break;
        }
        if (depth === 0 && performance.now() - lastMoved > DRAIN_IDLE_MS) break;
        await sleep(1000);
      }
      const drainSeconds = (performance.now() - drainStart) / 1000;

      // Lost: the registry against what the broker confirmed, per agent.
      const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
      let rows: Array<{ agent_id: string; boot_id: string; last_seq: string | number }>;
      try {
        rows = await sql<Array<{ agent_id: string; boot_id: string; last_seq: string | number }>>`
          select agent_id, boot_id, last_seq from agent_registry where agent_id like ${`sim-${runId}-%`}`;
      } finally {
        await sql.end({ timeout: 5 });
      }
      const stored = new Map(rows.map((r) => [r.agent_id, r]));
      let match = 0;
      let differ = 0;
      let missing = 0;
      const examples: Array<string> = [];
      for (const [agentId, seq] of load.confirmedLastSeqByAgent) {
        const row = stored.get(agentId);
        if (row === undefined) {
          missing += 1;
          if (examples.length < 5) examples.push(`${agentId}: confirmed seq ${seq}, no row`);
        } else if (Number(row.last_seq) === seq && row.boot_id === load.bootIdByAgent.get(agentId)) {
          match += 1;
        } else {
          differ += 1;
          if (examples.length < 5) examples.push(`${agentId}: confirmed seq ${seq}, registry has ${row.last_seq}`);
        }
      }

      const deadLettered = await queueDepth(admin, deadQueue);
      await stopOrchestrator();
      clearInterval(rssTimer);

      const commit = bucketDelta(m2, m0, "ingest_commit_seconds");
      const sizes = bucketDelta(m2, m0, "ingest_batch_size");
      const batches = commit[commit.length - 1]?.[1] ?? 0;
      const sizeSum = sumOf(m2, "ingest_batch_size_sum") - sumOf(m0, "ingest_batch_size_sum");
      return {
        load,
        sustainedRate: (processed(m1) - processed(m0)) / load.elapsedSeconds,
        processedInWindow: processed(m1) - processed(m0),
        processedTotal: processed(m2) - processed(m0),
        appliedTotal: sumOf(m2, "heartbeats_applied_total") - sumOf(m0, "heartbeats_applied_total"),
        ignoredTotal: sumOf(m2, "heartbeats_ignored_total") - sumOf(m0, "heartbeats_ignored_total"),
        drainSeconds,
        drained,
        depthAtLoadEnd,
        maxDepth,
        commitP50: bucketQuantile(commit, 0.5),
        commitP99: bucketQuantile(commit, 0.99),
        commitBuckets: commit,
        batches,
        batchSizeP50: bucketQuantile(sizes, 0.5),
        batchSizeBuckets: sizes,
        meanBatchSize: batches > 0 ? sizeSum / batches : Number.NaN,
        lost: { expected: load.confirmedLastSeqByAgent.size, match, differ, missing, examples },
        rssMaxKb: rssMax,
        rssMaxLoadKb: rssMaxLoad,
        rssSamples,
        rssReadyKb,
        rejected: sumOf(m2, "messages_rejected_total") - sumOf(m0, "messages_rejected_total"),
        deadLettered,
        readySeconds,
        stop: stopResult ?? { code: null, signal: null, killed: false },
        stderr: stderr.text(),
        cpu: cpuReport,
        top,
        topSeconds
      };
    } finally {
      clearInterval(rssTimer);
      await stopOrchestrator();
    }
  } finally {
    await deleteQueues();
    await closeAdmin();
    await removeDataDir();
    await db.drop();
  }
};

// ---------------------------------------------------------------------------
// Report

const cpuTable = (title: string, report: CpuReport): Array<string> => [
  `${title} (${report.seconds.toFixed(1)} s; machine: ${report.cores} cores, ${fmt(report.machineBusy * 100)} % busy overall = ` +
    `${(report.machineBusy * report.cores).toFixed(2)} cores; machine CPU s: user ${report.machineSplit.user.toFixed(1)}, ` +
    `system ${report.machineSplit.system.toFixed(1)}, irq+softirq ${report.machineSplit.irq.toFixed(1)}, steal ${report.machineSplit.steal.toFixed(1)}):`,
  "",
  "| process | CPU s | % of one core |",
  "|---|---|---|",
  ...report.groups.map(
    (g) => `| ${g.label}${g.processes > 1 ? ` (${g.processes} processes)` : ""} | ${g.cpuSeconds.toFixed(1)} | ${fmt((g.cpuSeconds / report.seconds) * 100)} |`
  ),
  (() => {
    const rest = report.machineCpuSeconds - report.groups.reduce((sum, g) => sum + g.cpuSeconds, 0);
    return `| everything else (kernel, other processes on the machine) | ${rest.toFixed(1)} | ${fmt((rest / report.seconds) * 100)} |`;
  })(),
  ""
];

const main = async (): Promise<number> => {
  const startedAt = new Date().toISOString();
  // What else is running: this machine is shared, and the figures depend on it.
  const busyBefore = await machineBusyNow(3000);
  const topBefore = await topProcesses(3000, 5);
  log(`run ${runId} (${suffix}): a. broker alone, ${baselineSeconds} s uncapped`);
  const a = await brokerAlone();
  checkAbort();
  log(`a: ${fmt(a.endToEndRate)} msg/s end to end (publisher ${fmt(a.load.achievedRate)}/s); b. database alone, ${baselineSeconds} s`);
  const b = await databaseAlone();
  checkAbort();
  log(`b: ${fmt(b.applyRate)} heartbeats/s; c. orchestrator`);
  const c = await realRun();

  const lines: Array<string> = [];
  const out = (line = "") => lines.push(line);
  out(`## Heartbeat ingest: ${fmt(rate)}/s target for ${seconds} s, ${fmt(agentCount)} simulated agents`);
  out();
  out(`node ${process.version}, ${c.cpu.cores} cores, ${startedAt}; run ${runId}; baselines ${baselineSeconds} s each; ` +
    `generator: ${2} connections (noDelay), window 1000 unconfirmed, publisher confirms, persistent, application/json, ` +
    `${fmt(agentCount)} agents round-robin.`);
  out(`Before the run the machine was ${fmt(busyBefore * 100)} % busy (all cores, 3 s); busiest processes then: ` +
    (topBefore.length === 0 ? "none" : topBefore.map((t) => `${t.command.split(" ").slice(0, 4).join(" ")} (pid ${t.pid}) ${fmt(t.share * 100)} %`).join("; ")));
  out();
  out("| measurement | what ran | rate | real ingest ÷ this |");
  out("|---|---|---|---|");
  out(`| a. broker alone | generator uncapped → scratch ${classicBaseline ? "CLASSIC durable queue (BENCH_BROKER_QUEUE=classic)" : "quorum queue (reply-queue topology)"} → consumer process, ack each, no DB | ` +
    `${fmt(a.endToEndRate)} msg/s end to end (${fmt(a.consumed)} msgs; publisher ${fmt(a.load.achievedRate)} confirmed/s) | ${(c.sustainedRate / a.endToEndRate).toFixed(2)} |`);
  out(`| b. database alone | AgentRegistry.applyHeartbeats, batches of ${DB_BATCH}, back to back, no broker | ` +
    `${fmt(b.applyRate)} heartbeats/s (${fmt(b.heartbeats)} in ${fmt(b.batches)} batches; batch p50 ${fmt(b.batchP50Ms, 1)} ms, p99 ${fmt(b.batchP99Ms, 1)} ms) | ${(c.sustainedRate / b.applyRate).toFixed(2)} |`);
  out(`| c. orchestrator (real) | generator at ${fmt(rate)}/s for ${seconds} s → reply queue → orchestrator → PostgreSQL | ` +
    `${fmt(c.sustainedRate)} heartbeats/s sustained over the load window (applied + ignored, from /metrics) | 1.00 |`);
  out();
  out("### c. in detail");
  out();
  const genOk = c.load.achievedRate >= rate * 0.98;
  // Did the orchestrator keep up with what the generator did publish? More than a second's worth waiting at the end: no.
  const keptUp = (c.depthAtLoadEnd ?? 0) <= c.load.achievedRate;
  const windowFullShare = c.load.windowFullSeconds / c.load.publishSeconds;
  const confirmMs = (1000 * 1000) / c.load.achievedRate; // window / rate: mean time a publish waited for its confirm when the window was full
  out(`- generator: sent ${fmt(c.load.sent)}, confirmed ${fmt(c.load.confirmed)}, failed ${fmt(c.load.failed)} in ${c.load.elapsedSeconds.toFixed(2)} s ` +
    `= ${fmt(c.load.achievedRate)} confirmed/s of ${fmt(rate)}/s asked (${genOk ? "on target" : "BELOW target"}); ` +
    `max ${c.load.maxInFlight} in flight, the window of 1000 full ${fmt(windowFullShare * 100)} % of the time` +
    (windowFullShare > 0.5 ? ` (waiting for broker confirms: ≈ ${fmt(confirmMs)} ms each)` : "") +
    `; its CPU ${c.load.cpuSeconds.toFixed(1)} s (${fmt((c.load.cpuSeconds / c.load.elapsedSeconds) * 100)} % of one core)`);
  if (!genOk && keptUp) {
    out(`- **the generator could not publish at the target rate** (${fmt(c.load.achievedRate)} of ${fmt(rate)}/s) and the orchestrator ` +
      `kept up with what it did publish: the ingest figure is bounded by the generator (or by the broker's confirms under this load), not by the orchestrator.`);
  } else if (!genOk) {
    out(`- **the generator could not publish at the target rate** (${fmt(c.load.achievedRate)} of ${fmt(rate)}/s), and the orchestrator did ` +
      `not keep up even with that: ${fmt(c.depthAtLoadEnd ?? Number.NaN)} messages (≈ ${fmt((c.depthAtLoadEnd ?? 0) / c.load.achievedRate, 1)} s of ` +
      `publishing) were waiting when the load ended. The ingest figure is the orchestrator's own limit under this load on this machine, not the generator's.`);
  } else if (!keptUp) {
    out(`- the generator published on target; the orchestrator did not keep up: ${fmt(c.depthAtLoadEnd ?? Number.NaN)} messages were waiting when the load ended.`);
  }
  out(`- processed (applied + ignored) during the load window: ${fmt(c.processedInWindow)}; in all, after draining: ${fmt(c.processedTotal)} ` +
    `(${fmt(c.appliedTotal)} applied, ${fmt(c.ignoredTotal)} ignored as older or superseded in their batch)`);
  out(`- reply queue: ${fmt(c.depthAtLoadEnd ?? Number.NaN)} messages waiting when the load ended, at most ${fmt(c.maxDepth)} (sampled each second); ` +
    `drain ${c.drained ? "completed" : "did NOT complete"} ${c.drainSeconds.toFixed(1)} s after the load ended` +
    ((c.depthAtLoadEnd ?? 0) > 0 ? ` (≈ ${fmt((c.processedTotal - c.processedInWindow) / c.drainSeconds)} heartbeats/s while draining, with the generator stopped)` : ""));
  out(`- receive→commit (ingest_commit_seconds: one observation per batch, from the receipt of its oldest message to its commit; ` +
    `quantiles are bucket upper bounds): p50 ${showBound(c.commitP50)}, p99 ${showBound(c.commitP99)} over ${fmt(c.batches)} batches ` +
    `(batch size p50 ${showBound(c.batchSizeP50, "")}, mean ${fmt(c.meanBatchSize, 1)}). "Receive" is when the orchestrator's consumer ` +
    `got the message: time spent waiting in the queue is not in it (see the queue depth above).`);
  out(`  batch sizes (le: count): ${c.batchSizeBuckets.map(([le, n]) => `${le === Number.POSITIVE_INFINITY ? "+Inf" : le}: ${n}`).join(", ")}`);
  out(`  receive→commit (le seconds: count): ${c.commitBuckets.map(([le, n]) => `${le === Number.POSITIVE_INFINITY ? "+Inf" : le}: ${n}`).join(", ")}`);
  out(`- lost: of ${fmt(c.lost.expected)} agents with a confirmed heartbeat, agent_registry.last_seq (same boot_id) equals the last confirmed seq for ` +
    `${fmt(c.lost.match)}, differs for ${fmt(c.lost.differ)}, missing for ${fmt(c.lost.missing)}` +
    (c.lost.examples.length > 0 ? ` (e.g. ${c.lost.examples.join("; ")})` : ""));
  out(`- dead-lettered: ${fmt(c.rejected)} by /metrics messages_rejected_total, ${fmt(c.deadLettered ?? Number.NaN)} in ${deadLetterQueueName(`bench.replies.${suffix}`)}`);
  out(`- orchestrator resident memory (VmRSS of the node process, ${c.rssSamples} samples, one a second, from spawn to stop): ` +
    `${mb(c.rssReadyKb)} MB when ready, max during the load ${mb(c.rssMaxLoadKb)} MB, max overall ${mb(c.rssMaxKb)} MB (MB = 1024² bytes)`);
  out(`- orchestrator: ready ${c.readySeconds.toFixed(1)} s after spawn; after SIGTERM: ${c.stop.killed ? "did not exit, killed" : (c.stop.signal ?? `exit ${c.stop.code}`)}`);
  out();
  lines.push(...cpuTable("CPU during c.'s load window", c.cpu));
  out(`busiest processes over ${c.topSeconds.toFixed(1)} s in the middle of c.'s load (% of one core): ` +
    c.top.map((t) => `${fmt(t.share * 100)} % pid ${t.pid} ${t.command.split(" ").slice(0, 4).join(" ")}`).join("; "));
  out();
  lines.push(...cpuTable("CPU during a. (broker alone)", a.cpu));
  lines.push(...cpuTable("CPU during b. (database alone)", b.cpu));
  if (c.stderr.trim() !== "") {
    out("orchestrator stderr (LOG_LEVEL=warn), last 16 KiB:");
    out("```");
    out(c.stderr.trimEnd());
    out("```");
    out();
  }

  const fullLength = seconds >= TARGET_SECONDS && rate >= TARGET_RATE;
  const rateOk = c.sustainedRate >= TARGET_RATE;
  const targets: Array<[string, string]> = [
    [
      `≥ ${fmt(TARGET_RATE)} heartbeats/s sustained for ${TARGET_SECONDS} s`,
      fullLength
        ? `${passFail(rateOk)} (${fmt(c.sustainedRate)}/s over ${c.load.elapsedSeconds.toFixed(1)} s` +
          `${genOk ? "" : keptUp ? "; bounded by the generator" : `; the generator managed ${fmt(c.load.achievedRate)}/s and the orchestrator fell behind even that`})`
        : `not tested by this run (it asked for ${fmt(rate)}/s for ${seconds} s); measured ${fmt(c.sustainedRate)}/s`
    ],
    [`p99 receive→commit ≤ ${TARGET_P99_S * 1000} ms`, `${passFail(c.commitP99 <= TARGET_P99_S)} (p99 ${showBound(c.commitP99)})`],
    [
      "zero lost",
      `${passFail(c.drained && c.lost.differ === 0 && c.lost.missing === 0 && c.lost.match === c.lost.expected && c.lost.expected > 0)} ` +
        `(${fmt(c.lost.match)} match, ${fmt(c.lost.differ)} differ, ${fmt(c.lost.missing)} missing${c.drained ? "" : "; the queue did not drain"})`
    ],
    [`orchestrator RSS < ${TARGET_RSS_MB} MB throughout`, `${passFail(c.rssMaxKb / 1024 < TARGET_RSS_MB)} (max ${mb(c.rssMaxKb)} MB)`]
  ];
  for (const [name, verdict] of targets) out(`target "${name}": ${verdict}`);
  console.log(lines.join("\n"));
  return 0;
};

main()
  .then(
    async (code) => {
      await cleanupAll();
      return code;
    },
    async (error: unknown) => {
      log(`the run broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      await cleanupAll();
      return 2;
    }
  )
  .then((code) => process.exit(code));
