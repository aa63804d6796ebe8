// One load window against an ingest bed: the generator at a rate for some seconds, then the queue drained and the registry checked.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { type Scrape } from "@homelab/testing";
import { type LoadResult, type SimAgent, runLoad } from "../../loadgen/agents.ts";
import { cpuWindow, type CpuReport, topProcesses } from "../procstat.ts";
import { abort, checkAbort, fmt, log } from "../support.ts";
import { DRAIN_IDLE_MS, TARGET_P99_S, agentCount, amqpUrl, generatorCork, postgresGroups, queueDepth } from "./settings.ts";
import { bucketDeltaOver, bucketQuantile, sumOver } from "./histogram.ts";
import { type IngestBed, processed } from "./orchestrators.ts";

export interface LostCheck {
  readonly expected: number;
  readonly match: number;
  readonly differ: number;
  readonly missing: number;
  readonly examples: ReadonlyArray<string>;
}

export interface StepResult {
  readonly rate: number;
  readonly seconds: number;
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
  readonly lost: LostCheck;
  readonly rejected: number;
  readonly deadLettered: number | undefined;
  readonly cpu: CpuReport;
  /** CPU µs per heartbeat processed in the load window: all orchestrators together, and the backends of the bed's database. */
  readonly orchestratorMicros: number;
  readonly postgresMicros: number;
  /** The busiest processes on the machine over a few seconds in the middle of the load (when asked for). */
  readonly top: ReadonlyArray<{ pid: number; command: string; share: number }>;
  readonly topSeconds: number;
}

export interface StepOptions {
  readonly rate: number;
  readonly seconds: number;
  /** The simulated agents (makeFleet(runId, …)); pass the same fleet to later steps so their seqs go on. */
  readonly runId: string;
  readonly fleet: ReadonlyArray<SimAgent>;
  readonly drainCapMs: number;
  /** Take a top-like snapshot in the middle of the load. */
  readonly top?: boolean;
  readonly progress?: boolean;
}

export const orchestratorLabel = (index: number, count: number) => (count === 1 ? "orchestrator (node)" : `orchestrator ${index + 1} (node)`);
const cpuOf = (report: CpuReport, labels: ReadonlyArray<string>) =>
  report.groups.filter((g) => labels.includes(g.label)).reduce((sum, g) => sum + g.cpuSeconds, 0);

/** Per agent of the fleet: does agent_registry hold the last seq (and boot id) the broker confirmed? */
const checkLost = async (databaseUrl: string, load: LoadResult): Promise<LostCheck> => {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  let rows: Array<{ agent_id: string; boot_id: string; last_seq: string | number }>;
  try {
    rows = await sql<Array<{ agent_id: string; boot_id: string; last_seq: string | number }>>`
      select agent_id, boot_id, last_seq from agent_registry where agent_id like ${`sim-${load.runId}-%`}`;
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
  return { expected: load.confirmedLastSeqByAgent.size, match, differ, missing, examples };
};

export const runStep = async (bed: IngestBed, options: StepOptions): Promise<StepResult> => {
  const { rate, seconds } = options;
  const count = bed.orchestrators.length;
  const orchestratorLabels = bed.orchestrators.map((_, i) => orchestratorLabel(i, count));
  const backendsLabel = postgresGroups(bed.database)[0]?.label ?? "";
  const m0 = await bed.scrape();
  const cpu = cpuWindow([
    { label: "rabbitmq (beam.smp)", comm: "beam.smp" },
    ...postgresGroups(bed.database),
    ...bed.orchestrators.map((o, i) => ({ label: orchestratorLabels[i] ?? "", pids: [o.pid] })),
    { label: "generator + bench (this node process)", pids: [process.pid] }
  ]);
  await cpu.start();
  let maxDepth = 0;
  const depthTimer = setInterval(() => {
    void cpu.sample();
    void queueDepth(bed.admin, bed.replyQueue).then((d) => {
      if (d !== undefined) maxDepth = Math.max(maxDepth, d);
    });
  }, 1000);
  let load: LoadResult;
  let m1: ReadonlyArray<Scrape>;
  let cpuReport: CpuReport;
  bed.setLoadActive(true);
  const topSeconds = Math.min(5, seconds / 2);
  let top: Array<{ pid: number; command: string; share: number }> = [];
  const topTimer = options.top === true
    ? setTimeout(() => void topProcesses(topSeconds * 1000, 10).then((t) => (top = t)), ((seconds - topSeconds) / 2) * 1000)
    : undefined;
  try {
    load = await runLoad({
      amqpUrl,
      queue: bed.replyQueue,
      agents: agentCount,
      runId: options.runId,
      fleet: options.fleet,
      rate,
      seconds,
      coalesceWrites: generatorCork,
      signal: abort.signal,
      onProgress: (p) => {
        if (options.progress === true && Math.round(p.elapsedSeconds) % 10 === 0) {
          log(`  t=${p.elapsedSeconds.toFixed(0)} s: sent ${fmt(p.sent)}, confirmed ${fmt(p.confirmed)}, in flight ${p.inFlight}`);
        }
        if (bed.orchestrators.some((o) => o.earlyExit() !== undefined)) abort.abort();
      }
    });
    m1 = await bed.scrape();
  } finally {
    bed.setLoadActive(false);
    clearInterval(depthTimer);
    clearTimeout(topTimer);
    cpuReport = await cpu.stop();
  }
  bed.checkAlive("during the load");
  checkAbort();
  const depthAtLoadEnd = await queueDepth(bed.admin, bed.replyQueue);
  if (depthAtLoadEnd !== undefined) maxDepth = Math.max(maxDepth, depthAtLoadEnd);
  log(`load done: ${fmt(load.confirmed)} confirmed in ${load.elapsedSeconds.toFixed(1)} s; ${fmt(depthAtLoadEnd ?? Number.NaN)} waiting in the queue; draining`);

  // Drain: until all that was confirmed is processed and the queue is empty.
  const drainStart = performance.now();
  const goal = processed(m0) + load.confirmed;
  let last = processed(m1);
  let lastMoved = performance.now();
  let drained = false;
  let m2 = m1;
  while (performance.now() - drainStart < options.drainCapMs) {
    checkAbort();
    bed.checkAlive("while draining");
    const depth = await queueDepth(bed.admin, bed.replyQueue);
    m2 = await bed.scrape();
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
  const lost = await checkLost(bed.databaseUrl, load);
  const deadLettered = await queueDepth(bed.admin, bed.deadQueue);

  const commit = bucketDeltaOver(m2, m0, "homelab_ingest_commit_seconds");
  const sizes = bucketDeltaOver(m2, m0, "homelab_ingest_batch_size");
  const batches = commit[commit.length - 1]?.[1] ?? 0;
  const sizeSum = sumOver(m2, "homelab_ingest_batch_size_sum") - sumOver(m0, "homelab_ingest_batch_size_sum");
  const processedInWindow = processed(m1) - processed(m0);
  const perHeartbeat = (cpuSeconds: number) => (processedInWindow > 0 ? (cpuSeconds * 1e6) / processedInWindow : Number.NaN);
  return {
    rate,
    seconds,
    load,
    sustainedRate: processedInWindow / load.elapsedSeconds,
    processedInWindow,
    processedTotal: processed(m2) - processed(m0),
    appliedTotal: sumOver(m2, "homelab_heartbeats_applied_total") - sumOver(m0, "homelab_heartbeats_applied_total"),
    ignoredTotal: sumOver(m2, "homelab_heartbeats_ignored_total") - sumOver(m0, "homelab_heartbeats_ignored_total"),
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
    lost,
    rejected: sumOver(m2, "homelab_messages_rejected_total") - sumOver(m0, "homelab_messages_rejected_total"),
    deadLettered,
    cpu: cpuReport,
    orchestratorMicros: perHeartbeat(cpuOf(cpuReport, orchestratorLabels)),
    postgresMicros: perHeartbeat(cpuOf(cpuReport, [backendsLabel])),
    top,
    topSeconds
  };
};

/** Nothing lost: drained, and every agent's last confirmed seq is in the registry. */
export const nothingLost = (s: StepResult): boolean =>
  s.drained && s.lost.differ === 0 && s.lost.missing === 0 && s.lost.match === s.lost.expected && s.lost.expected > 0;

/** Share of what the generator was asked for (rate × seconds) that the orchestrators processed during the load window. */
export const SUSTAINED_SHARE = 0.97;

/**
 * Why a step does not count as sustained (empty: it does): processed ≥ 97 % of
 * what was asked, at most one second's worth of the rate left in the queue at
 * the end of the load, p99 receive→commit within the target, nothing lost.
 */
export const stepFailures = (s: StepResult): Array<string> => {
  const asked = s.rate * s.seconds;
  const reasons: Array<string> = [];
  if (s.processedInWindow < SUSTAINED_SHARE * asked) reasons.push(`processed ${fmt((s.processedInWindow / asked) * 100)} % of asked`);
  if ((s.depthAtLoadEnd ?? Number.POSITIVE_INFINITY) > s.rate) reasons.push(`${fmt(s.depthAtLoadEnd ?? Number.NaN)} left in the queue`);
  if (!(s.commitP99 <= TARGET_P99_S)) reasons.push(`p99 ${s.commitP99 === Number.POSITIVE_INFINITY ? "> largest bucket" : `≤ ${fmt(s.commitP99 * 1000)} ms`}`);
  if (!nothingLost(s)) reasons.push(s.drained ? `lost (${fmt(s.lost.differ)} differ, ${fmt(s.lost.missing)} missing)` : "queue did not drain");
  if (s.load.failed > 0) reasons.push(`${fmt(s.load.failed)} publishes failed`);
  return reasons;
};
