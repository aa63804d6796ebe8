// c. The real orchestrator process under the generator's load, then drained.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName } from "@homelab/protocol";
import { type Scrape, parseMetrics } from "@homelab/testing";
import { type LoadResult, runLoad } from "../../loadgen/agents.ts";
import { cpuWindow, type CpuReport, rssKb, topProcesses } from "../procstat.ts";
import { abort, checkAbort, children, exited, fmt, freePort, log, onCleanup, tail } from "../support.ts";
import {
  DRAIN_IDLE_MS,
  READY_TIMEOUT_MS,
  agentCount,
  amqpUrl,
  createDatabase,
  drainCapMs,
  generatorCork,
  postgresGroups,
  queueDepth,
  rate,
  repoRoot,
  runId,
  seconds,
  stopChild,
  suffix
} from "./settings.ts";
import { bucketDelta, bucketQuantile, sumOf } from "./histogram.ts";

// ---------------------------------------------------------------------------
// c. the orchestrator

export interface RealRun {
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

export const scrape = async (base: string): Promise<Scrape> => {
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return parseMetrics(await res.text());
};
export const processed = (s: Scrape) => sumOf(s, "homelab_heartbeats_applied_total") + sumOf(s, "homelab_heartbeats_ignored_total");

export const realRun = async (): Promise<RealRun> => {
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
          coalesceWrites: generatorCork,
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

      const commit = bucketDelta(m2, m0, "homelab_ingest_commit_seconds");
      const sizes = bucketDelta(m2, m0, "homelab_ingest_batch_size");
      const batches = commit[commit.length - 1]?.[1] ?? 0;
      const sizeSum = sumOf(m2, "homelab_ingest_batch_size_sum") - sumOf(m0, "homelab_ingest_batch_size_sum");
      return {
        load,
        sustainedRate: (processed(m1) - processed(m0)) / load.elapsedSeconds,
        processedInWindow: processed(m1) - processed(m0),
        processedTotal: processed(m2) - processed(m0),
        appliedTotal: sumOf(m2, "homelab_heartbeats_applied_total") - sumOf(m0, "homelab_heartbeats_applied_total"),
        ignoredTotal: sumOf(m2, "homelab_heartbeats_ignored_total") - sumOf(m0, "homelab_heartbeats_ignored_total"),
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
        rejected: sumOf(m2, "homelab_messages_rejected_total") - sumOf(m0, "homelab_messages_rejected_total"),
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
