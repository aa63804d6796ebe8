// A network blip between one agent and the real broker: a TCP proxy the test
// owns is cut and restored; the agent must come back by itself.
import { Effect, Fiber, Layer, Redacted, Schema } from "effect";
import { AgentId, type MessageOf } from "@homelab/protocol";
import { metricsLayer } from "@homelab/metrics";
import { readReplyQueue, runLive, serviceUrls, startTcpProxy, testQueues } from "@homelab/tools/testing";
import { runAgent } from "../src/Agent.ts";
import { Broker } from "../src/Broker.ts";

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
        const broker = new URL(serviceUrls().amqpUrl);
        const proxy = yield* Effect.acquireRelease(
          Effect.promise(() => startTcpProxy({ host: broker.hostname, port: Number(broker.port || 5672) })),
          (p) => Effect.promise(() => p.close())
        );
        const fiber = yield* runAgent({
          agent_id: Schema.decodeUnknownSync(AgentId)(agentId),
          agent_type: "desktop",
          pool_name: "desktop_pool_1",
          reply_queue: replyQueue,
          // Long enough that a beat soon after the restore can only be the reconnect's.
          heartbeat_interval_seconds: 60,
          max_concurrent_work: 1,
          capabilities: [],
          jitter: false
        }).pipe(
          Effect.scoped,
          Effect.provide(
            Layer.merge(Broker.layer(Redacted.make(proxy.url(serviceUrls().amqpUrl))), metricsLayer({ gpuBackend: "none" }))
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
});
