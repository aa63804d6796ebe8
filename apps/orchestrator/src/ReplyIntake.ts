import { Context, Effect, Layer } from "effect";
import { Amqp, consumeReplies, type ReplyHandler } from "@homelab/broker";
import { makeIngest } from "./Ingest.ts";
import { reportOffline } from "./OfflineEvents.ts";
import { OrchestratorMetrics } from "./OrchestratorMetrics.ts";
import { Readiness } from "./Readiness.ts";
import { Dispatcher } from "./work/Dispatcher.ts";
import { Placer } from "./work/Placer.ts";

/** Ingest batches: up to this many heartbeats, or this long after the first; this many batch writes at once. */
export const INGEST_TUNING = { maxBatch: 500, lingerMs: 20, writeConcurrency: 2 } as const;
/** How many messages the consumer holds unacked (basic.qos prefetch): three batches' worth. */
export const REPLY_PREFETCH = 3 * INGEST_TUNING.maxBatch;

/** Turns valid reply-queue messages into registry writes (see makeIngest). */
export class Ingest extends Context.Service<Ingest, { readonly handle: ReplyHandler }>()("@homelab/orchestrator/Ingest") {
  /** Reports to the orchestrator's metrics and readiness; `heartbeatTimeoutSeconds` for the boot-order rule. */
  static readonly layer = (heartbeatTimeoutSeconds: number, agentIdentity: "shared" | "broker_user" = "shared", history = true) =>
    Layer.effect(
      Ingest,
      Effect.gen(function* () {
        const metrics = yield* OrchestratorMetrics;
        const readiness = yield* Readiness;
        const placer = yield* Placer;
        const dispatcher = yield* Dispatcher;
        return yield* makeIngest({
          ...INGEST_TUNING,
          heartbeatTimeoutSeconds,
          agentIdentity,
          history,
          hooks: {
            databaseUp: (up, detail) => readiness.set("database", up, detail).pipe(Effect.andThen(readiness.setWritesFlowing(up))),
            batchCommitted: (size, applied, ignored, oldestReceivedAt, committedAt) =>
              metrics.recordBatch(size, (committedAt - oldestReceivedAt) / 1000).pipe(Effect.andThen(metrics.applied(applied, ignored))),
            wentOffline: (transitions) => reportOffline(transitions, dispatcher).pipe(Effect.provideService(OrchestratorMetrics, metrics)),
            shutdownIgnored: (agentId, bootId, registeredBoot) =>
              metrics.shutdownIgnored.pipe(
                Effect.andThen(
                  Effect.logWarning(`agent_shutdown for ${agentId} from boot ${bootId} ignored: the registry holds boot ${registeredBoot}`)
                )
              ),
            workFinished: (state) => metrics.workFinished(state),
            roomMayHaveFreed: (agentIds) => placer.kick(agentIds)
          }
        });
      })
    );
}

/** Consumes the reply queue into Ingest for the life of the layer; the broker's state goes to Readiness, dead letters to the metrics. */
export const replyConsumerLayer = (replyQueue: string) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const { connection, address } = yield* Amqp;
      const ingest = yield* Ingest;
      const readiness = yield* Readiness;
      const metrics = yield* OrchestratorMetrics;
      const consumer = yield* consumeReplies(
        {
          connection,
          address,
          replyQueue,
          prefetch: REPLY_PREFETCH,
          onConnectionChange: (up, detail) =>
            readiness.set("broker", up, detail).pipe(
              Effect.andThen(up ? Effect.logInfo(`broker: ${detail}`) : Effect.logWarning(`broker connection lost: ${detail}`))
            ),
          onRejected: (reason, detail) =>
            metrics.rejected(reason).pipe(Effect.andThen(Effect.logWarning(`dead-lettered a message (${reason}): ${detail}`)))
        },
        ingest.handle
      );
      yield* consumer.ready.pipe(Effect.andThen(Effect.logInfo("consuming the reply queue")), Effect.forkScoped);
    })
  );
