// runLoad against the real broker: with its sockets corked per burst (the
// default) or not, every confirmed heartbeat arrives whole, decodes, and each
// agent's seqs arrive in order with none missing.
import { randomBytes } from "node:crypto";
import { Result } from "effect";
import { Connection } from "rabbitmq-client";
import { decodeDelivered, deadLetterQueueName } from "@homelab/protocol";
import { DEFAULT_AMQP_URL, deleteQueues, runLoad } from "./agents.ts";

const url = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;

/** Takes `count` messages from the queue (or what came within the timeout), in delivery order. */
const drain = async (queue: string, count: number, timeoutMs = 20_000): Promise<Array<unknown>> => {
  const conn = new Connection({ url, retryLow: 200, retryHigh: 1000 });
  conn.on("error", () => undefined);
  const bodies: Array<unknown> = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const timer = setTimeout(() => done(), timeoutMs);
  const consumer = conn.createConsumer({ queue, queueOptions: { passive: true }, qos: { prefetchCount: 500 }, concurrency: 1 }, (msg) => {
    bodies.push(msg.body);
    if (bodies.length >= count) done();
  });
  consumer.on("error", (e) => {
    console.error(`consumer: ${String(e)}`);
    done();
  });
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.close().catch(() => undefined);
    await conn.close().catch(() => undefined);
  }
  return bodies;
};

describe.each([true, false])("runLoad (coalesceWrites: %s)", (coalesceWrites) => {
  const queue = `loadgen.test.${randomBytes(4).toString("hex")}`;
  afterAll(() => deleteQueues(url, [queue, deadLetterQueueName(queue)]));

  it("delivers every confirmed heartbeat whole and decodable, each agent's seqs in order", async () => {
    const result = await runLoad({ amqpUrl: url, queue, agents: 7, rate: Number.POSITIVE_INFINITY, seconds: 1, window: 300, coalesceWrites });
    expect(result.failed).toBe(0);
    expect(result.confirmed).toBe(result.sent);
    expect(result.sent).toBeGreaterThan(500);
    expect(result.cpuMicrosPerMessage).toBeGreaterThan(0);
    const bodies = await drain(queue, result.confirmed);
    expect(bodies.length).toBe(result.confirmed);
    const nextSeq = new Map<string, number>();
    for (const body of bodies) {
      const decoded = decodeDelivered(body);
      if (Result.isFailure(decoded)) throw new Error(decoded.failure.message);
      const message = decoded.success;
      if (message.type !== "work_status") throw new Error(`unexpected ${message.type}`);
      const agentId = message.payload.agent_id;
      expect(message.payload.seq).toBe(nextSeq.get(agentId) ?? 0);
      nextSeq.set(agentId, message.payload.seq + 1);
    }
    expect(nextSeq.size).toBe(7);
    for (const [agentId, next] of nextSeq) expect(result.confirmedLastSeqByAgent.get(agentId)).toBe(next - 1);
  }, 60_000);
});
