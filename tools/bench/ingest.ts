/**
 * Benchmark: heartbeat ingest of the orchestrator, against two baselines
 * measured in the same run.
 *
 *   npx nx run orchestrator:build && npx tsx tools/bench/ingest.ts [seconds=60] [rate=5000] [agents=1000]
 *
 * a. broker alone: the load generator (tools/loadgen) publishes the same
 *    heartbeats, uncapped, to a scratch queue with the reply queue's topology,
 *    and a consumer process of its own (ingest-consumer.ts) acks each one, no
 *    database: messages/s end to end. The generator patches a pre-encoded
 *    heartbeat per message (tools/loadgen/wire.ts) and corks its sockets
 *    around each burst of publishes; its own CPU per message
 *    (process.cpuUsage from its first publish to its last confirm ÷ messages)
 *    is reported with a. and c.
 * a′. bare pair: the same, with a bare rabbitmq-client publisher in the
 *    generator's place: one fixed 1,200-byte body (a heartbeat padded with
 *    spaces), same queue type and topology, persistent, confirms, 2
 *    connections, 1,000 in flight, same consumer program. What the broker and
 *    the client library move when publishing costs next to nothing; a. ÷ a′
 *    says how much of the broker's capacity the generator leaves unused (goal:
 *    a. within 20 % of a′).
 * b. database alone: the same heartbeats applied with
 *    AgentRegistry.applyHeartbeats (layerPostgres on a fresh database) in
 *    batches of 500, one after another, as fast as it goes, no broker.
 * c. the real thing: the orchestrator process as deployed (the bundle
 *    `npx nx run orchestrator:build` writes: dist/apps/orchestrator/main.mjs) on a fresh database and a reply queue of
 *    its own; the generator publishes at `rate` for `seconds`; then the queue
 *    is drained. Figures: applied+ignored heartbeats/s over the load window
 *    (/metrics at its start and end), receive→commit quantiles from the
 *    homelab_ingest_commit_seconds histogram, lost heartbeats (agent_registry.last_seq
 *    against the last seq the broker confirmed to the generator, per agent),
 *    the orchestrator's VmRSS sampled every second, and CPU per heartbeat of
 *    the orchestrator and of PostgreSQL (the backends of c.'s database): CPU
 *    seconds from /proc over the load window ÷ heartbeats processed in it.
 * d. (opt-in, BENCH_STEP=1) the highest sustained rate: after c., a fresh
 *    database, reply queue and orchestrator, warmed up for 5 s at half `rate`
 *    (not rated); the generator's rate steps up from
 *    `rate` by ×1.2 per step of BENCH_STEP_SECONDS (default 15) until a step
 *    fails, then once halfway back (down by ×1.2 if the first step fails).
 *    Sustained: processed ≥ 97 % of rate × seconds in the window, at most one
 *    second's worth of the rate left in the queue at the end of the load, p99
 *    receive→commit ≤ 250 ms, nothing lost. Reported against a. in the same run.
 *    BENCH_SCALE=1 (implies BENCH_STEP=1): the same again with two orchestrator
 *    processes on one reply queue and one database, starting from one
 *    orchestrator's highest rate; the ratio two ÷ one and CPU by process (what
 *    then limits). Adds about 2–5 minutes per series.
 *
 *   BENCH_STEP=1 BENCH_SCALE=1 npx tsx tools/bench/ingest.ts 60 5000 1000
 *
 * Everything stays on 127.0.0.1; every database (bench_<random>_…) and queue
 * this run creates is removed at its end, and its child processes are killed.
 * Exit code: 0 when the run completed (whether or not a target was met: the
 * figures are the product), 2 when the run itself broke.
 * DATABASE_URL (an admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * and AMQP_URL as for the apps. BENCH_BROKER_QUEUE=classic: baseline a. on a
 * classic durable queue instead (what the quorum queue costs). BENCH_GENERATOR_CORK=0:
 * the generator writes each publish to its socket as it goes, as the bare
 * publisher does (what corking per burst saves). BENCH_CPU_PROFILE_DIR=dir: the orchestrator
 * writes a V8 CPU profile (.cpuprofile) there when it exits. BENCH_ORCHESTRATOR_BUNDLE=path: run that
 * bundle instead of dist/apps/orchestrator/main.mjs (a copy of an earlier build with its migrations
 * folder beside it: a lever and its baseline measured back to back).
 */
import { deadLetterQueueName } from "@homelab/protocol";
import { heartbeatBuildMicros } from "../loadgen/agents.ts";
import { machineBusyNow, topProcesses } from "./procstat.ts";
import { checkAbort, cleanupAll, fmt, log, passFail } from "./support.ts";
import {
  DB_BATCH,
  TARGET_P99_S,
  TARGET_RATE,
  TARGET_RSS_MB,
  TARGET_SECONDS,
  agentCount,
  baselineSeconds,
  classicBaseline,
  generatorCork,
  mb,
  rate,
  runId,
  scaleOut,
  seconds,
  stepSeconds,
  stepping,
  suffix
} from "./ingest/settings.ts";
import { showBound } from "./ingest/histogram.ts";
import { barePair, brokerAlone } from "./ingest/brokerAlone.ts";
import { databaseAlone } from "./ingest/databaseAlone.ts";
import { realRun } from "./ingest/orchestratorRun.ts";
import { cpuPerHeartbeat, cpuTable, steppingReport } from "./ingest/report.ts";
import { findSustained, type StepSeries } from "./ingest/stepping.ts";

const main = async (): Promise<number> => {
  const startedAt = new Date().toISOString();
  // What else is running: this machine is shared, and the figures depend on it.
  const busyBefore = await machineBusyNow(3000);
  const topBefore = await topProcesses(3000, 5);
  const buildMicros = heartbeatBuildMicros();
  log(`run ${runId} (${suffix}): a. broker alone, ${baselineSeconds} s uncapped (building a heartbeat alone: ${fmt(buildMicros, 2)} µs CPU)`);
  const a = await brokerAlone();
  checkAbort();
  log(`a: ${fmt(a.endToEndRate)} msg/s end to end (publisher ${fmt(a.load.achievedRate)}/s, ${fmt(a.load.cpuMicrosPerMessage, 1)} µs CPU/msg); ` +
    `a′. bare publisher/consumer pair, ${baselineSeconds} s`);
  const bare = await barePair();
  checkAbort();
  log(`a′: ${fmt(bare.endToEndRate)} msg/s end to end (publisher ${fmt(bare.load.achievedRate)}/s, ${fmt(bare.load.cpuMicrosPerMessage, 1)} µs CPU/msg); ` +
    `b. database alone, ${baselineSeconds} s`);
  const b = await databaseAlone();
  checkAbort();
  log(`b: ${fmt(b.applyRate)} heartbeats/s; c. orchestrator`);
  const c = await realRun();
  const series: Array<StepSeries> = [];
  if (stepping) {
    checkAbort();
    log(`c: ${fmt(c.sustainedRate)} heartbeats/s; d. rate steps of ${stepSeconds} s from ${fmt(rate)}/s, one orchestrator`);
    const one = await findSustained(1, rate, stepSeconds);
    series.push(one);
    if (scaleOut) {
      checkAbort();
      const from = one.highest?.rate ?? rate;
      log(`d. rate steps of ${stepSeconds} s from ${fmt(from)}/s, two orchestrators on one reply queue and one database`);
      series.push(await findSustained(2, from, stepSeconds));
    }
  }

  const lines: Array<string> = [];
  const out = (line = "") => lines.push(line);
  out(`## Heartbeat ingest: ${fmt(rate)}/s target for ${seconds} s, ${fmt(agentCount)} simulated agents`);
  out();
  out(`node ${process.version}, ${c.cpu.cores} cores, ${startedAt}; run ${runId}; baselines ${baselineSeconds} s each; ` +
    `generator: ${2} connections (noDelay), window 1000 unconfirmed, publisher confirms, persistent, application/json, ` +
    `${fmt(agentCount)} agents round-robin, each heartbeat a copy of its agent's pre-encoded template with seq, message_id, sent_at and ` +
    `figures patched in (mean body ${fmt(a.load.bytesSent / a.load.sent)} bytes), ` +
    `${generatorCork ? "sockets corked per burst of publishes" : "sockets NOT corked (BENCH_GENERATOR_CORK=0): one write per publish"}.`);
  out(`Before the run the machine was ${fmt(busyBefore * 100)} % busy (all cores, 3 s); busiest processes then: ` +
    (topBefore.length === 0 ? "none" : topBefore.map((t) => `${t.command.split(" ").slice(0, 4).join(" ")} (pid ${t.pid}) ${fmt(t.share * 100)} %`).join("; ")));
  out();
  out("| measurement | what ran | rate | real ingest ÷ this |");
  out("|---|---|---|---|");
  out(`| a. broker alone | generator uncapped → scratch ${classicBaseline ? "CLASSIC durable queue (BENCH_BROKER_QUEUE=classic)" : "quorum queue (reply-queue topology)"} → consumer process, ack each, no DB | ` +
    `${fmt(a.endToEndRate)} msg/s end to end (${fmt(a.consumed)} msgs; publisher ${fmt(a.load.achievedRate)} confirmed/s; ` +
    `generator CPU ${fmt(a.load.cpuMicrosPerMessage, 1)} µs/msg) | ${(c.sustainedRate / a.endToEndRate).toFixed(2)} |`);
  out(`| a′. bare publisher/consumer pair | rabbitmq-client publisher, one fixed ${fmt(bare.bodyBytes)}-byte body, uncapped → scratch ` +
    `${classicBaseline ? "CLASSIC durable queue" : "quorum queue (reply-queue topology)"} → the same consumer program | ` +
    `${fmt(bare.endToEndRate)} msg/s end to end (${fmt(bare.consumed)} msgs; publisher ${fmt(bare.load.achievedRate)} confirmed/s; ` +
    `its CPU ${fmt(bare.load.cpuMicrosPerMessage, 1)} µs/msg) | ${(c.sustainedRate / bare.endToEndRate).toFixed(2)} |`);
  out(`| b. database alone | AgentRegistry.applyHeartbeats, batches of ${DB_BATCH}, back to back, no broker | ` +
    `${fmt(b.applyRate)} heartbeats/s (${fmt(b.heartbeats)} in ${fmt(b.batches)} batches; batch p50 ${fmt(b.batchP50Ms, 1)} ms, p99 ${fmt(b.batchP99Ms, 1)} ms) | ${(c.sustainedRate / b.applyRate).toFixed(2)} |`);
  out(`| c. orchestrator (real) | generator at ${fmt(rate)}/s for ${seconds} s → reply queue → orchestrator → PostgreSQL | ` +
    `${fmt(c.sustainedRate)} heartbeats/s sustained over the load window (applied + ignored, from /metrics) | 1.00 |`);
  out();
  const pairRatio = a.endToEndRate / bare.endToEndRate;
  out(`- broker alone ÷ bare pair (a. ÷ a′, end to end): ${pairRatio.toFixed(2)} (${fmt(a.endToEndRate)} ÷ ${fmt(bare.endToEndRate)} msg/s; ` +
    `goal ≥ 0.80: ${passFail(pairRatio >= 0.8)})`);
  out(`- generator CPU per message (process.cpuUsage, first publish to last confirm, ÷ messages sent): ` +
    `${fmt(a.load.cpuMicrosPerMessage, 1)} µs in a. (uncapped), ${fmt(c.load.cpuMicrosPerMessage, 1)} µs in c. (at ${fmt(rate)}/s; ` +
    `this process also samples /proc and scrapes /metrics then). Building a heartbeat alone (template copy + patch, tight loop before the run): ` +
    `${fmt(buildMicros, 2)} µs; the rest is rabbitmq-client's framing, the socket writes (corked per burst), the confirms and the kernel's ` +
    `loopback TCP work done in this process's system calls. The bare publisher: ${fmt(bare.load.cpuMicrosPerMessage, 1)} µs ` +
    `(goal for the generator ≤ 10 µs: ${passFail(a.load.cpuMicrosPerMessage <= 10)})`);
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
    `; its CPU ${c.load.cpuSeconds.toFixed(1)} s (${fmt((c.load.cpuSeconds / c.load.elapsedSeconds) * 100)} % of one core, ` +
    `${fmt(c.load.cpuMicrosPerMessage, 1)} µs per message)`);
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
  out(`- receive→commit (homelab_ingest_commit_seconds: one observation per batch, from the receipt of its oldest message to its commit; ` +
    `quantiles are bucket upper bounds): p50 ${showBound(c.commitP50)}, p99 ${showBound(c.commitP99)} over ${fmt(c.batches)} batches ` +
    `(batch size p50 ${showBound(c.batchSizeP50, "")}, mean ${fmt(c.meanBatchSize, 1)}). "Receive" is when the orchestrator's consumer ` +
    `got the message: time spent waiting in the queue is not in it (see the queue depth above).`);
  out(`  batch sizes (le: count): ${c.batchSizeBuckets.map(([le, n]) => `${le === Number.POSITIVE_INFINITY ? "+Inf" : le}: ${n}`).join(", ")}`);
  out(`  receive→commit (le seconds: count): ${c.commitBuckets.map(([le, n]) => `${le === Number.POSITIVE_INFINITY ? "+Inf" : le}: ${n}`).join(", ")}`);
  out(`- lost: of ${fmt(c.lost.expected)} agents with a confirmed heartbeat, agent_registry.last_seq (same boot_id) equals the last confirmed seq for ` +
    `${fmt(c.lost.match)}, differs for ${fmt(c.lost.differ)}, missing for ${fmt(c.lost.missing)}` +
    (c.lost.examples.length > 0 ? ` (e.g. ${c.lost.examples.join("; ")})` : ""));
  const perHeartbeat = cpuPerHeartbeat(c);
  lines.push(...perHeartbeat.lines);
  out(`- dead-lettered: ${fmt(c.rejected)} by /metrics homelab_messages_rejected_total, ${fmt(c.deadLettered ?? Number.NaN)} in ${deadLetterQueueName(`bench.replies.${suffix}`)}`);
  out(`- orchestrator resident memory (VmRSS of the node process, ${c.rssSamples} samples, one a second, from spawn to stop): ` +
    `${mb(c.rssReadyKb)} MB when ready, max during the load ${mb(c.rssMaxLoadKb)} MB, max overall ${mb(c.rssMaxKb)} MB (MB = 1024² bytes)`);
  out(`- orchestrator: ready ${c.readySeconds.toFixed(1)} s after spawn; after SIGTERM: ${c.stop.killed ? "did not exit, killed" : (c.stop.signal ?? `exit ${c.stop.code}`)}`);
  out();
  lines.push(...cpuTable("CPU during c.'s load window", c.cpu));
  out(`busiest processes over ${c.topSeconds.toFixed(1)} s in the middle of c.'s load (% of one core): ` +
    c.top.map((t) => `${fmt(t.share * 100)} % pid ${t.pid} ${t.command.split(" ").slice(0, 4).join(" ")}`).join("; "));
  out();
  const steps = stepping ? steppingReport(a.endToEndRate, series) : undefined;
  if (steps !== undefined) lines.push(...steps.lines);
  lines.push(...cpuTable("CPU during a. (broker alone)", a.cpu));
  lines.push(...cpuTable("CPU during a′. (bare publisher/consumer pair)", bare.cpu));
  lines.push(...cpuTable("CPU during b. (database alone)", b.cpu));
  if (c.stderr.trim() !== "") {
    out("orchestrator stderr (LOG_LEVEL=warn), last 16 KiB:");
    out("```");
    out(c.stderr.trimEnd());
    out("```");
    out();
  }

  const fullLength = seconds >= TARGET_SECONDS && rate >= TARGET_RATE;
  // Within 0.5 %: the generator paces to within a few messages of the rate
  // (299,996 in 60.01 s is 4,999/s), and a target of 5,000/s is not missed by that.
  const rateOk = c.sustainedRate >= TARGET_RATE * 0.995;
  const targets: Array<[string, string]> = [
    [
      `≥ ${fmt(TARGET_RATE)} heartbeats/s (within 0.5 %) sustained for ${TARGET_SECONDS} s`,
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
    [`orchestrator RSS < ${TARGET_RSS_MB} MB throughout`, `${passFail(c.rssMaxKb / 1024 < TARGET_RSS_MB)} (max ${mb(c.rssMaxKb)} MB)`],
    [
      "broker alone within 20 % of the bare publisher/consumer pair",
      `${passFail(pairRatio >= 0.8)} (${fmt(a.endToEndRate)} vs ${fmt(bare.endToEndRate)} msg/s = ${pairRatio.toFixed(2)})`
    ],
    [
      "generator CPU ≤ 10 µs per message",
      `${passFail(a.load.cpuMicrosPerMessage <= 10)} (${fmt(a.load.cpuMicrosPerMessage, 1)} µs uncapped in a., ${fmt(c.load.cpuMicrosPerMessage, 1)} µs in c.)`
    ]
  ];
  targets.push(...perHeartbeat.targets, ...(steps?.targets ?? []));
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
