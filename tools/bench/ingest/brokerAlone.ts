// a. The broker alone: the generator to a scratch queue and a consumer process that only acks.
import { spawn } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName } from "@homelab/protocol";
import { declareReplyQueue, type LoadResult, runLoad } from "../../loadgen/agents.ts";
import { cpuWindow, type CpuReport } from "../procstat.ts";
import { abort, checkAbort, children, log, onCleanup, tail } from "../support.ts";
import {
  PREFETCH,
  agentCount,
  amqpUrl,
  baselineSeconds,
  classicBaseline,
  repoRoot,
  runId,
  stopChild,
  suffix
} from "./settings.ts";

// ---------------------------------------------------------------------------
// a. broker alone

export interface BrokerBaseline {
  readonly load: LoadResult;
  readonly consumed: number;
  /** consumed / (last consume − first publish). */
  readonly endToEndRate: number;
  readonly cpu: CpuReport;
}

export const brokerAlone = async (): Promise<BrokerBaseline> => {
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
