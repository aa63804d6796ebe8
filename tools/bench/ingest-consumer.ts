/**
 * The "broker alone" consumer of tools/bench/ingest.ts, run as a process of
 * its own (as the orchestrator is): consumes a reply queue with the
 * orchestrator's prefetch and handler concurrency, acks every message and
 * does nothing else (no decoding beyond the client's own JSON parse, no
 * database). Reports on stdout, one JSON object a line: {"ready":true} once
 * consuming, then {"consumed":N,"lastAtMs":T} about every 200 ms while the
 * count changes. Stops on SIGTERM (or when stdin closes: the parent is gone).
 *
 *   node --import tsx tools/bench/ingest-consumer.ts <queue> [prefetch=1000]
 *
 * The queue is declared with the protocol's arguments; deleting it is the
 * parent's job. AMQP_URL as for the apps (127.0.0.1 only).
 */
import { Connection } from "rabbitmq-client";
import { replyQueueTopology } from "@homelab/protocol";
import { assertLocalUrl, DEFAULT_AMQP_URL } from "../loadgen/agents.ts";

const queue = process.argv[2];
const prefetch = Number(process.argv[3] ?? 1000);
if (queue === undefined || !(prefetch > 0)) {
  console.error("usage: ingest-consumer.ts <queue> [prefetch=1000] [quorum|classic]");
  process.exit(2);
}
const url = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
assertLocalUrl(url);
const topology = replyQueueTopology(queue);

const report = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);

const conn = new Connection({ url, noDelay: true, retryLow: 200, retryHigh: 1000, connectionName: "bench-consumer" });
conn.on("error", (e) => console.error(`consumer: connection: ${e.message}`));
let consumed = 0;
let lastAtMs = 0;
const consumer = conn.createConsumer(
  {
    queue,
    // "classic": a plain durable queue (BENCH_BROKER_QUEUE=classic in ingest.ts).
    queueOptions: { durable: true, arguments: process.argv[4] === "classic" ? {} : { ...topology.arguments } },
    qos: { prefetchCount: prefetch },
    concurrency: prefetch,
    requeue: true
  },
  () => {
    // Returning normally acks the message (one basic.ack per message).
    consumed += 1;
    lastAtMs = Date.now();
  }
);
consumer.on("error", (e) => console.error(`consumer: ${e.message}`));
consumer.once("ready", () => report({ ready: true }));

let reported = -1;
const timer = setInterval(() => {
  if (consumed !== reported) {
    reported = consumed;
    report({ consumed, lastAtMs });
  }
}, 200);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await consumer.close().catch(() => undefined);
  report({ consumed, lastAtMs });
  await conn.close().catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();
