// A network blip between one agent and the real broker: a TCP proxy the test
// owns is cut and restored; the agent must come back by itself.
import { randomUUID } from "node:crypto";
import { Effect, Fiber, Layer, Redacted, Schema } from "effect";
import { AgentId, workQueueTopology, type Message, type MessageOf } from "@homelab/protocol";
import { metricsLayer } from "@homelab/metrics";
import { brokerProxy, readReplyQueue, runLive, serviceUrls, testQueues } from "@homelab/tools/testing";
import { runAgent } from "../src/Agent.ts";
import { Broker } from "../src/Broker.ts";
import { TaskRunner } from "../src/work/TaskRunner.ts";

type Beat = MessageOf<"work_status">;

describe("network blip", () => {
  it("reconnects with backoff after the link is cut and heartbeats at once when it returns", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const agentId = queues.name("blip");
        queues.adopt(`agent.${agentId}.work`);
        const reader = yield* readReplyQueue(replyQueue);
        const proxy = yield* brokerProxy(serviceUrls().amqpUrl);
        const fiber = yield* runAgent({
          agent_id: Schema.decodeUnknownSync(AgentId)(agentId),
          agent_type: "desktop",
          pool_name: "desktop_pool_1",
          reply_queue: replyQueue,
          // Long enough that a beat soon after the restore can only be the reconnect's.
          heartbeat_interval_seconds: 60,
          max_concurrent_work: 1,
          tasks: {},
          max_output_bytes: 65536,
          shutdown_grace_seconds: 8,
          host_env: {},
          jitter: false
        }).pipe(
          Effect.scoped,
          Effect.provide(
            Layer.mergeAll(
              Broker.layer(Redacted.make(proxy.url(serviceUrls().amqpUrl))),
              metricsLayer({ gpuBackend: "none" }),
              TaskRunner.layer
            )
          ),
          Effect.forkChild
        );
        return yield* Effect.promise(async () => {
          const first = await reader.next((m): m is Beat => m.type === "work_status");
          proxy.cut();
          // Receipt: the agent has tried to reconnect at least once and been refused.
          await proxy.waitFor(() => proxy.refusedTotal() >= 1, 10_000);
          const cutAt = Date.now();
          await proxy.restore();
          const after = await reader.next((m): m is Beat => m.type === "work_status" && m.payload.seq >= 1, 20_000);
          return { first, after, secondsAfterRestore: (Date.now() - cutAt) / 1000, accepted: proxy.acceptedTotal() };
        }).pipe(Effect.ensuring(Fiber.interrupt(fiber)));
      })
    );
    expect(seen.after.payload.boot_id).toBe(seen.first.payload.boot_id);
    expect(seen.after.payload.seq).toBe(1);
    // Backoff 1, 2, 4 … s: back well within the 60 s interval, so this beat is the reconnect's own.
    expect(seen.secondsAfterRestore).toBeLessThan(20);
    expect(seen.accepted).toBeGreaterThanOrEqual(2);
  });

  it("keeps work running through a blip: the result is published once on the new connection, the request acked, nothing rejected", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const agentId = queues.name("blipwork");
        const workQueue = queues.adopt(workQueueTopology(agentId).queue);
        const reader = yield* readReplyQueue(replyQueue);
        const proxy = yield* brokerProxy(serviceUrls().amqpUrl);
        const fiber = yield* runAgent({
          agent_id: Schema.decodeUnknownSync(AgentId)(agentId),
          agent_type: "desktop",
          pool_name: "desktop_pool_1",
          reply_queue: replyQueue,
          heartbeat_interval_seconds: 0.3,
          max_concurrent_work: 1,
          tasks: { nap: { command: ["sleep", "{seconds}"], timeout_seconds: 30, requires: {} } },
          max_output_bytes: 65536,
          shutdown_grace_seconds: 8,
          host_env: process.env,
          jitter: false
        }).pipe(
          Effect.scoped,
          Effect.provide(
            Layer.mergeAll(
              Broker.layer(Redacted.make(proxy.url(serviceUrls().amqpUrl))),
              metricsLayer({ gpuBackend: "none" }),
              TaskRunner.layer
            )
          ),
          Effect.forkChild
        );
        const isResult = (m: Message): m is MessageOf<"work_result"> => m.type === "work_result";
        const result = yield* Effect.promise(async () => {
          // The orchestrator's side of the broker is not cut: publish straight to it.
          await reader.next((m): m is Beat => m.type === "work_status");
          const publisher = reader.connection.createPublisher({ confirm: true });
          await publisher.send(
            { routingKey: workQueue, contentType: "application/json", durable: true },
            {
              message_id: randomUUID(),
              type: "work_request",
              version: 1,
              sent_at: new Date().toISOString(),
              sender: "orchestrator",
              correlation_id: "w-blip",
              payload: { work_id: "w-blip", kind: "nap", params: { seconds: "3" }, requirements: {}, timeout_seconds: 30 }
            }
          );
          await publisher.close();
          // Receipt: the work is running.
          await reader.next((m): m is Beat => m.type === "work_status" && m.payload.current_work.includes("w-blip"));
          proxy.cut();
          await proxy.waitFor(() => proxy.refusedTotal() >= 1, 10_000);
          await proxy.restore();
          const first = await reader.next(isResult, 20_000);
          // A later heartbeat, so that a second result (or a rejection) would have arrived by now.
          const lastSeq = Math.max(...reader.messages().flatMap((m) => (m.type === "work_status" ? [m.payload.seq] : [])));
          await reader.next((m): m is Beat => m.type === "work_status" && m.payload.seq > lastSeq + 1, 10_000);
          return { first, results: reader.messages().filter(isResult) };
        }).pipe(Effect.ensuring(Fiber.interrupt(fiber)));
        const left = yield* Effect.promise(() => reader.connection.queueDeclare({ queue: workQueue, passive: true }));
        return { ...result, leftInQueue: left.messageCount, accepted: proxy.acceptedTotal() };
      })
    );
    expect(seen.accepted).toBeGreaterThanOrEqual(2);
    expect(seen.first.payload).toMatchObject({ work_id: "w-blip", status: "succeeded", exit_code: 0 });
    expect(seen.results).toHaveLength(1);
    expect(seen.leftInQueue).toBe(0);
  });
});
