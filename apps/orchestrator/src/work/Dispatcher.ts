import { Clock, Context, Data, Effect, Layer } from "effect";
import { Amqp, messageBody, messageProperties } from "@homelab/broker";
import { randomUUID } from "node:crypto";
import { controlQueueTopology, makeEnvelope, type Message, ORCHESTRATOR_SENDER, workQueueTopology } from "@homelab/protocol";

/** The request could not be put on the agent's queue (broker away, not confirmed in time). */
export class DispatchFailed extends Data.TaggedError("DispatchFailed")<{ readonly message: string }> {}

const DISPATCH_DEADLINE_MS = 5000;

/**
 * Puts a work request on `agent.<id>.work`: the queue is declared first with
 * the protocol's arguments (either side may start first, SPEC §2), so a
 * request never goes to a queue that does not exist, and the publish is
 * confirmed by the broker (persistent) before `dispatch` succeeds.
 */
export class Dispatcher extends Context.Service<
  Dispatcher,
  {
    readonly dispatch: (agentId: string, message: Message) => Effect.Effect<void, DispatchFailed>;
    /** Tells the agent to stop the work (a work_cancel on its control queue, which it reads apart from its work). */
    readonly cancel: (agentId: string, workId: string, reason?: string) => Effect.Effect<void, DispatchFailed>;
  }
>()("@homelab/orchestrator/Dispatcher") {
  static readonly layer: Layer.Layer<Dispatcher, never, Amqp> = Layer.effect(
    Dispatcher,
    Effect.gen(function* () {
      const { connection, user } = yield* Amqp;
      const userId = user === undefined ? {} : { userId: user };
      const publisher = yield* Effect.acquireRelease(
        Effect.sync(() => connection.createPublisher({ confirm: true, maxAttempts: 1 })),
        (p) => Effect.promise(() => p.close().catch(() => undefined))
      );
      const dispatch = (agentId: string, message: Message, topology = workQueueTopology(agentId)) => {
        return Effect.tryPromise({
          try: async () => {
            await connection.queueDeclare({ queue: topology.queue, durable: true, arguments: { ...topology.arguments } });
            await publisher.send({ routingKey: topology.queue, ...messageProperties(message), ...userId }, messageBody(message));
          },
          catch: (e) => new DispatchFailed({ message: e instanceof Error ? e.message : String(e) })
        }).pipe(
          Effect.timeoutOrElse({
            duration: DISPATCH_DEADLINE_MS,
            orElse: () => Effect.fail(new DispatchFailed({ message: `not confirmed by the broker within ${DISPATCH_DEADLINE_MS} ms` }))
          })
        );
      };
      const cancel = (agentId: string, workId: string, reason = "cancelled by request") =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis;
          const message = makeEnvelope({
            type: "work_cancel",
            message_id: randomUUID(),
            sent_at: new Date(now).toISOString(),
            sender: ORCHESTRATOR_SENDER,
            correlation_id: workId,
            payload: { work_id: workId, reason }
          });
          return yield* dispatch(agentId, message, controlQueueTopology(agentId));
        });
      // The deadline travels in the payload (expires_at), which the agent enforces. Not as an AMQP
      // per-message TTL: RabbitMQ 3.10.8 here stopped accepting connections after a run that put
      // such messages on quorum queues (suspected, not proven; see the closing note of issue #14).
      return { dispatch: (agentId: string, message: Message) => dispatch(agentId, message), cancel };
    })
  );
}
