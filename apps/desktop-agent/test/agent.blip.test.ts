// A network blip between one agent and the real broker: a TCP proxy the test
// owns is cut and restored; the agent must come back by itself.
import { Effect, Fiber, Schema } from "effect";
import { AgentId, workQueueTopology, type Message, type MessageOf } from "@homelab/protocol";
import { brokerProxy, readReplyQueue, runLive, serviceUrls, testQueues, workRequest } from "@homelab/testing";
import { agentOptions } from "./support/agentOptions.ts";
import { forkAgentOnBroker } from "./support/realAgent.ts";

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
        const fiber = yield* forkAgentOnBroker(
          agentOptions({
            agent_id: Schema.decodeUnknownSync(AgentId)(agentId),
            reply_queue: replyQueue,
            // Long enough that a beat soon after the restore can only be the reconnect's.
            heartbeat_interval_seconds: 60,
            tasks: {}
          }),
          proxy.url(serviceUrls().amqpUrl)
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
        const fiber = yield* forkAgentOnBroker(
          agentOptions({
            agent_id: Schema.decodeUnknownSync(AgentId)(agentId),
            reply_queue: replyQueue,
            heartbeat_interval_seconds: 0.3,
            tasks: { nap: { command: ["sleep", "{seconds}"], timeout_seconds: 30, requires: {} } },
            host_env: process.env
          }),
          proxy.url(serviceUrls().amqpUrl)
        );
        const isResult = (m: Message): m is MessageOf<"work_result"> => m.type === "work_result";
        const result = yield* Effect.promise(async () => {
          // The orchestrator's side of the broker is not cut: publish straight to it.
          await reader.next((m): m is Beat => m.type === "work_status");
          const publisher = reader.connection.createPublisher({ confirm: true });
          await publisher.send(
            { routingKey: workQueue, contentType: "application/json", durable: true },
            workRequest("w-blip", "nap", { seconds: "3" })
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
