import { Clock, Effect, type Scope } from "effect";
import type { Message, StatusUpdate } from "@homelab/protocol";
import { AgentRegistry, type RegistryError } from "@homelab/registry";
import { makeBatcher } from "./Batcher.ts";
import type { Handled } from "./ReplyConsumer.ts";
import { databaseRetrySchedule } from "./schedules.ts";

export interface IngestHooks {
  readonly databaseUp: (up: boolean, detail: string) => Effect.Effect<void>;
  readonly batchCommitted: (size: number, applied: number, ignored: number, oldestReceivedAt: number, committedAt: number) => Effect.Effect<void>;
  readonly wentOffline: (count: number) => Effect.Effect<void>;
}

/**
 * Turns reply-queue messages into registry writes. Heartbeats are batched
 * (up to `maxBatch`, or `lingerMs` after the first); a batch is one
 * `applyHeartbeats` call, and each message is acked only after its batch
 * committed. While the database is away the write is retried (the
 * orchestrator is unready, not dead) and the messages stay unacked.
 */
export const makeIngest = (options: { readonly maxBatch: number; readonly lingerMs: number; readonly hooks: IngestHooks }) =>
  Effect.gen(function* () {
    const registry = yield* AgentRegistry;
    const { hooks } = options;

    /** Runs a registry write until it succeeds, reporting the database down meanwhile. */
    const persistently = <A>(operation: Effect.Effect<A, RegistryError>) =>
      operation.pipe(
        Effect.tapError((e) => hooks.databaseUp(false, e.message)),
        Effect.retry(databaseRetrySchedule),
        // The schedule never ends, so an error cannot come out of the retry.
        Effect.orDie,
        Effect.tap(() => hooks.databaseUp(true, "ok"))
      );

    const batcher = yield* makeBatcher<StatusUpdate, never>({
      maxSize: options.maxBatch,
      lingerMs: options.lingerMs,
      write: (batch) =>
        Effect.gen(function* () {
          const result = yield* persistently(registry.applyHeartbeats(batch.map((b) => b.item)));
          const committedAt = yield* Clock.currentTimeMillis;
          const oldest = Math.min(...batch.map((b) => b.receivedAt));
          yield* hooks.batchCommitted(batch.length, result.applied, result.ignored, oldest, committedAt);
          for (const t of result.transitions) {
            yield* Effect.logInfo(`agent ${t.agent_id}: ${t.from ?? "new"} -> ${t.to} (${t.reason})`);
          }
        })
    });

    const handle = (message: Message): Effect.Effect<Handled> => {
      switch (message.type) {
        case "work_status":
          return batcher.submit(message.payload).pipe(Effect.as<Handled>({ _tag: "Ack" }));
        case "agent_shutdown":
          return persistently(registry.markOffline([message.payload.agent_id], "agent_shutdown")).pipe(
            Effect.tap((transitions) =>
              Effect.forEach(transitions, (t) => Effect.logInfo(`agent ${t.agent_id}: ${t.from ?? "new"} -> ${t.to} (${t.reason})`))
            ),
            Effect.tap((transitions) => hooks.wentOffline(transitions.length)),
            Effect.as<Handled>({ _tag: "Ack" })
          );
        case "work_result":
        case "work_request":
          return Effect.succeed<Handled>({
            _tag: "Reject",
            reason: "unsupported",
            detail: `${message.type} is not handled by this orchestrator yet (work routing)`
          });
      }
    };
    return { handle };
  }) satisfies Effect.Effect<unknown, never, AgentRegistry | Scope.Scope>;
