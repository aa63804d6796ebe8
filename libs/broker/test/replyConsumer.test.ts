// The reply-queue consumer against the real RabbitMQ: every kind of bad
// message (SPEC §6) is dead-lettered with its reason in a header while the
// valid messages around it are all handled, in order.
import { Effect } from "effect";
import { Connection } from "rabbitmq-client";
import type { Message } from "@homelab/protocol";
import { runLive, serviceUrls, testQueues, eventually } from "@homelab/testing";
import { Amqp } from "../src/Amqp.ts";
import { endpointOf } from "../src/endpoint.ts";
import { consumeReplies, type RejectReason } from "../src/ReplyConsumer.ts";

const heartbeat = (agent: string, seq: number) => ({
  message_id: `0b6f3c1e-8d2a-4f5b-9c7e-${String(seq).padStart(12, "0")}`,
  type: "work_status",
  version: 1,
  sent_at: "2026-11-29T12:00:00Z",
  sender: agent,
  payload: {
    agent_id: agent,
    agent_type: "desktop",
    status: "online",
    boot_id: "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f",
    seq,
    capabilities: [],
    current_work: [],
    resources: {
      cpu_load_1min: 0.1, cpu_load_5min: 0.1, cpu_load_15min: 0.1, cpu_cores_total: 8, cpu_cores_available: 7.9,
      memory_total_gb: 32, memory_available_gb: 20, memory_percent: 37.5, gpu_type: "none", gpu_count: 0,
      gpu_vram_total_gb: 0, gpu_vram_available_gb: 0, gpus: [], collected_at: "2026-11-29T12:00:00Z", collection_errors: []
    }
  }
});

const json = (value: unknown) => ({ contentType: "application/json", body: Buffer.from(JSON.stringify(value)) });

describe("reply consumer on the real broker", () => {
  it("dead-letters each kind of bad message with its reason and handles every valid one in order", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const handled: Array<Message> = [];
        const rejected: Array<RejectReason> = [];
        const { connection, address } = yield* Amqp;
        const { ready } = yield* consumeReplies(
          {
            connection,
            address,
            replyQueue,
            prefetch: 50,
            onConnectionChange: () => Effect.void,
            onRejected: (reason) => Effect.sync(() => void rejected.push(reason))
          },
          (m, settle) => {
            if (m.type === "work_result") return settle({ _tag: "Reject", reason: "unsupported", detail: "work_result not handled" });
            handled.push(m);
            settle({ _tag: "Ack" });
          }
        );
        yield* ready;
        const bad: Array<[RejectReason, { contentType: string; body: Buffer }]> = [
          ["malformed_json", { contentType: "application/json", body: Buffer.from('{"type": "work_status", ') }],
          ["oversized", json({ ...heartbeat("a", 99), pad: "x".repeat(1024 * 1024) })],
          ["not_utf8", { contentType: "application/octet-stream", body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }],
          ["unsupported_version", json({ ...heartbeat("a", 98), version: 2 })],
          ["unknown_type", json({ ...heartbeat("a", 97), type: "agent_reboot" })],
          ["invalid_agent_id", json({ ...heartbeat("bad id!", 96), sender: "bad id!" })],
          ["schema_violation", json({ ...heartbeat("a", 95), payload: { ...heartbeat("a", 95).payload, seq: -1 } })],
          // Another process speaking for agent "a" (a forged heartbeat).
          ["sender_mismatch", json({ ...heartbeat("a", 93), sender: "rogue" })],
          [
            "unsupported",
            json({
              ...heartbeat("a", 94),
              type: "work_result",
              payload: { work_id: "w1", agent_id: "a", status: "succeeded", exit_code: 0, output: "", error: null, started_at: "2026-11-29T12:00:00Z", finished_at: "2026-11-29T12:00:01Z" }
            })
          ]
        ];
        yield* Effect.promise(async () => {
          const pub = connection.createPublisher({ confirm: true });
          let seq = 0;
          for (const [, message] of bad) {
            await pub.send({ routingKey: replyQueue, contentType: "application/json", durable: true }, json(heartbeat("a", seq++)).body);
            await pub.send({ routingKey: replyQueue, contentType: message.contentType, durable: true }, message.body);
          }
          await pub.send({ routingKey: replyQueue, contentType: "application/json", durable: true }, json(heartbeat("a", seq++)).body);
          await pub.close();
        });
        const deadQueue = `${replyQueue}.dead`;
        // Receipt: wait until all valid messages were handled and all bad ones counted.
        yield* Effect.promise(async () => {
          const deadline = Date.now() + 15_000;
          while (handled.length < bad.length + 1 || rejected.length < bad.length) {
            if (Date.now() > deadline) throw new Error(`handled ${handled.length}, rejected ${rejected.length}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        });
        const dead = yield* Effect.promise(async () => {
          const reader = new Connection({ url: serviceUrls().amqpUrl, noDelay: true });
          const out: Array<{ reason: unknown; detail: unknown }> = [];
          for (;;) {
            const msg = await reader.basicGet({ queue: deadQueue, noAck: true });
            if (msg === undefined) break;
            out.push({ reason: msg.headers?.["x-reject-reason"], detail: msg.headers?.["x-reject-detail"] });
          }
          await reader.close();
          return out;
        });
        return { handled, rejected, dead };
        // Scoped inside the connection: the consumer closes before the connection it uses.
      }).pipe(Effect.scoped, Effect.provide(Amqp.layer(endpointOf(serviceUrls().amqpUrl))))
    );
    const seqs = outcome.handled.flatMap((m) => (m.type === "work_status" ? [m.payload.seq] : []));
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(outcome.rejected.sort()).toEqual(
      ["malformed_json", "oversized", "not_utf8", "unsupported_version", "unknown_type", "invalid_agent_id", "schema_violation", "sender_mismatch", "unsupported"].sort()
    );
    expect(outcome.dead.map((d) => d.reason).sort()).toEqual([...outcome.rejected].sort());
    for (const d of outcome.dead) expect(typeof d.detail === "string" && d.detail.length > 0).toBe(true);
  });

  it("hands over the user_id RabbitMQ vouches for: the publisher's own is delivered, another user's is refused by the broker", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const seen: Array<string | undefined> = [];
        const { connection, user, address } = yield* Amqp;
        const { ready } = yield* consumeReplies(
          { connection, address, replyQueue, prefetch: 10, onConnectionChange: () => Effect.void, onRejected: () => Effect.void },
          (_m, settle, delivery) => {
            seen.push(delivery.userId);
            settle({ _tag: "Ack" });
          }
        );
        yield* ready;
        const refused = yield* Effect.promise(async () => {
          const pub = connection.createPublisher({ confirm: true, maxAttempts: 1 });
          await pub.send({ routingKey: replyQueue, contentType: "application/json", durable: true, userId: user ?? "guest" }, json(heartbeat("a", 0)).body);
          await pub.send({ routingKey: replyQueue, contentType: "application/json", durable: true }, json(heartbeat("a", 1)).body);
          const claim = await pub
            .send({ routingKey: replyQueue, contentType: "application/json", durable: true, userId: "someone-else" }, json(heartbeat("a", 2)).body)
            .then(() => "accepted", (e: unknown) => String(e));
          await pub.close();
          return claim;
        });
        yield* Effect.promise(() => eventually("both deliveries handled", async () => seen.length, (n) => n >= 2, 5000, 20));
        return { seen, refused, user };
      }).pipe(Effect.scoped, Effect.provide(Amqp.layer(endpointOf(serviceUrls().amqpUrl))))
    );
    expect(outcome.user).toBe("guest");
    expect(outcome.seen).toEqual(["guest", undefined]);
    expect(outcome.refused).toMatch(/PRECONDITION_FAILED|user_id/);
  });
});
