// a. The broker alone: the generator to a scratch queue and a consumer process that only acks;
// a′. the same with a bare publisher (one fixed body, nothing else) in the generator's place.
import { spawn } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName } from "@homelab/protocol";
import { declareReplyQueue, heartbeatTemplate, type LoadResult, makeFleet, runLoad } from "../../loadgen/agents.ts";
import { cpuWindow, type CpuReport } from "../procstat.ts";
import { abort, checkAbort, children, log, onCleanup, tail } from "../support.ts";
import {
  PREFETCH,
  agentCount,
  amqpUrl,
  baselineSeconds,
  classicBaseline,
  generatorCork,
  repoRoot,
  runId,
  stopChild,
  suffix
} from "./settings.ts";
import { type PublishSummary, runBarePublisher } from "./barePublisher.ts";

// ---------------------------------------------------------------------------
// a. broker alone

export interface BrokerBaseline<L extends PublishSummary = LoadResult> {
  readonly load: L;
  readonly consumed: number;
  /** consumed / (last consume − first publish). */
  readonly endToEndRate: number;
  readonly cpu: CpuReport;
}

/** As the generator: 2 connections, 1000 unconfirmed publishes in flight. */
const CONNECTIONS = 2;
const WINDOW = 1000;
/** The bare publisher's body: a real heartbeat (so the consumer's JSON parse does the same work), padded with trailing spaces to this size. */
export const BARE_BODY_BYTES = 1200;

/**
 * A publisher (this process) → a scratch queue with the reply queue's
 * topology → the consumer process (ingest-consumer.ts), which acks each
 * message: messages/s end to end, and the CPU of each process.
 */
const brokerPair = async <L extends PublishSummary>(
  label: string,
  queue: string,
  publisherLabel: string,
  publish: () => Promise<L>
): Promise<BrokerBaseline<L>> => {
  const admin = new Connection({ url: amqpUrl, noDelay: true, retryLow: 200, retryHigh: 1000 });
  admin.on("error", (e) => log(`broker connection: ${e.message}`));
  const closeAdmin = onCleanup(`close admin connection (${label})`, () => admin.close());
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
    const stopConsumer = onCleanup(`stop broker-baseline consumer (${label})`, async () => {
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
      { label: publisherLabel, pids: [process.pid] }
    ]);
    await cpu.start();
    const sampler = setInterval(() => void cpu.sample(), 1000);
    let load: L;
    try {
      load = await publish();
      if (load.failed > 0) throw new Error(`broker baseline ${label}: ${load.failed} publishes failed (${load.firstError ?? "?"})`);
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
    // Let the quorum queue's log settle before it is deleted: on RabbitMQ 3.10.8, deleting one
    // right after a run like this once crashed Ra's segment writer (enoent in truncate_segments),
    // which took the WAL, and every quorum queue on the broker, down with it for a moment.
    await sleep(3000);
    const endToEnd = consumed / Math.max(0.001, (lastAtMs - load.startedAtMs) / 1000);
    return { load, consumed, endToEndRate: endToEnd, cpu: cpuReport };
  } finally {
    await deleteQueues();
    await closeAdmin();
  }
};

/** a. The load generator, uncapped (its heartbeat templates are made before its clock starts). */
export const brokerAlone = (): Promise<BrokerBaseline> =>
  brokerPair("a", `bench.scratch.${suffix}`, "generator (this node process)", () =>
    runLoad({
      amqpUrl,
      queue: `bench.scratch.${suffix}`,
      agents: agentCount,
      rate: Number.POSITIVE_INFINITY,
      seconds: baselineSeconds,
      runId: `${runId}a`,
      connections: CONNECTIONS,
      window: WINDOW,
      coalesceWrites: generatorCork,
      declare: false,
      signal: abort.signal
    })
  );

/** The bare publisher's body: the heartbeat of a simulated agent with two GPUs, padded with spaces to BARE_BODY_BYTES. */
export const bareBody = (): Buffer => {
  const agent = makeFleet(`${runId}x`, 4)[3]!; // n % 4 === 3: two GPUs, the largest heartbeat
  const bytes = heartbeatTemplate(agent).bytes;
  return bytes.length >= BARE_BODY_BYTES ? Buffer.from(bytes) : Buffer.concat([bytes, Buffer.alloc(BARE_BODY_BYTES - bytes.length, " ")]);
};

export interface BareBaseline extends BrokerBaseline<PublishSummary> {
  readonly bodyBytes: number;
}

/** a′. The bare publisher: one fixed body, same queue type, persistence, confirms, connections and window. */
export const barePair = async (): Promise<BareBaseline> => {
  const body = bareBody();
  const queue = `bench.scratch.${suffix}.bare`;
  const result = await brokerPair("a′", queue, "bare publisher (this node process)", () =>
    runBarePublisher({ url: amqpUrl, queue, body, seconds: baselineSeconds, window: WINDOW, connections: CONNECTIONS, signal: abort.signal })
  );
  return { ...result, bodyBytes: body.length };
};
