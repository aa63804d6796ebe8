import { Clock, Effect, Exit, type Scope } from "effect";
import type { StatusUpdate, WorkResult } from "@homelab/protocol";
import { AgentRegistry, type OfflineTransition, type RegistryError, type StatusTransition, WorkRegistry } from "@homelab/registry";
import { makeBatcher } from "./Batcher.ts";
import type { Handled, ReplyHandler } from "./ReplyConsumer.ts";
import { databaseRetrySchedule } from "./schedules.ts";

type Event =
  | { readonly _tag: "Heartbeat"; readonly update: StatusUpdate }
  | { readonly _tag: "Shutdown"; readonly agentId: string };

type Run =
  | { readonly _tag: "Heartbeats"; readonly updates: ReadonlyArray<StatusUpdate> }
  | { readonly _tag: "Shutdown"; readonly agentId: string };

/** Consecutive heartbeats become one write; each shutdown is a write of its own, in place. */
const runs = (events: ReadonlyArray<Event>): ReadonlyArray<Run> => {
  const out: Array<Run> = [];
  let pending: Array<StatusUpdate> = [];
  for (const e of events) {
    if (e._tag === "Heartbeat") pending.push(e.update);
    else {
      if (pending.length > 0) out.push({ _tag: "Heartbeats", updates: pending });
      pending = [];
      out.push({ _tag: "Shutdown", agentId: e.agentId });
    }
  }
  if (pending.length > 0) out.push({ _tag: "Heartbeats", updates: pending });
  return out;
};

export interface IngestHooks {
  readonly databaseUp: (up: boolean, detail: string) => Effect.Effect<void>;
  readonly batchCommitted: (size: number, applied: number, ignored: number, oldestReceivedAt: number, committedAt: number) => Effect.Effect<void>;
  /** Agents that went offline by agent_shutdown, with the work lost with them. */
  readonly wentOffline: (transitions: ReadonlyArray<OfflineTransition>) => Effect.Effect<void>;
  /** A work result was stored (its work ended in that state). */
  readonly workFinished: (state: WorkResult["status"]) => Effect.Effect<void>;
}

/**
 * Turns reply-queue messages into registry writes. Heartbeats and shutdowns
 * are batched in arrival order (up to `maxBatch`, or `lingerMs` after the
 * first); consecutive heartbeats are one `applyHeartbeats` call, and each
 * message is acked only after its batch committed. While the database is away the write is retried (the
 * orchestrator is unready, not dead) and the messages stay unacked.
 */
export const makeIngest = (options: {
  readonly maxBatch: number;
  readonly lingerMs: number;
  /** Batches written at once (heartbeat batches only; a shutdown is a barrier). */
  readonly writeConcurrency?: number;
  readonly hooks: IngestHooks;
}) =>
  Effect.gen(function* () {
    const registry = yield* AgentRegistry;
    const work = yield* WorkRegistry;
    const run = Effect.runPromiseWith(yield* Effect.context<never>());
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

    const logTransitions = (transitions: ReadonlyArray<StatusTransition>) =>
      Effect.forEach(transitions, (t) => Effect.logInfo(`agent ${t.agent_id}: ${t.from ?? "new"} -> ${t.to} (${t.reason})`), {
        discard: true
      });

    // Heartbeats and shutdowns share one ordered pipeline: a shutdown sent
    // right after a heartbeat must not be overtaken by that heartbeat's batch.
    const batcher = yield* makeBatcher<Event, never>({
      maxSize: options.maxBatch,
      lingerMs: options.lingerMs,
      // Heartbeat batches may overlap: the registry applies each heartbeat
      // only if it is newer than the stored one and locks rows in agent order
      // (two orchestrators on one database do the same). A shutdown must not
      // overtake the heartbeat before it, nor be overtaken by the next.
      ...(options.writeConcurrency === undefined ? {} : { concurrency: options.writeConcurrency }),
      exclusive: (event) => event._tag === "Shutdown",
      write: (batch) =>
        Effect.gen(function* () {
          for (const step of runs(batch.map((b) => b.item))) {
            if (step._tag === "Heartbeats") {
              const result = yield* persistently(registry.applyHeartbeats(step.updates));
              const committedAt = yield* Clock.currentTimeMillis;
              const oldest = Math.min(...batch.map((b) => b.receivedAt));
              yield* hooks.batchCommitted(step.updates.length, result.applied, result.ignored, oldest, committedAt);
              yield* logTransitions(result.transitions);
              // Work an agent lists in current_work is running.
              yield* persistently(work.markRunning(step.updates));
            } else {
              const transitions = yield* persistently(registry.markOffline([step.agentId], "agent_shutdown"));
              yield* logTransitions(transitions);
              yield* hooks.wentOffline(transitions);
            }
          }
        })
    });

    const queued = (settle: (handled: Handled) => void) => (exit: Exit.Exit<void, never>) =>
      settle(Exit.isSuccess(exit) ? { _tag: "Ack" } : { _tag: "Requeue", why: "the write holding it did not finish" });

    const handle: ReplyHandler = (message, settle) => {
      switch (message.type) {
        case "work_status":
          return batcher.offer({ _tag: "Heartbeat", update: message.payload }, queued(settle));
        case "agent_shutdown":
          return batcher.offer({ _tag: "Shutdown", agentId: message.payload.agent_id }, queued(settle));
        case "work_result":
          return void run(recordResult(message.payload)).then(settle, () =>
            settle({ _tag: "Requeue", why: "the result could not be stored" })
          );
        case "work_request":
          return settle({
            _tag: "Reject",
            reason: "unsupported",
            detail: "a work_request does not belong on the reply queue (it goes to agent.<agent_id>.work)"
          });
      }
    };

    /**
     * A result ends its work and releases what it held. Results are few: each
     * is its own write, outside the heartbeat batches (nothing orders them:
     * a heartbeat can only move work from dispatched to running).
     */
    const recordResult = (result: WorkResult): Effect.Effect<Handled> =>
      persistently(work.recordResult(result)).pipe(
        Effect.flatMap((outcome): Effect.Effect<Handled> => {
          switch (outcome._tag) {
            case "Recorded":
              return Effect.logInfo(
                `work ${result.work_id} on ${result.agent_id}: ${outcome.previous} -> ${result.status}`
              ).pipe(Effect.andThen(hooks.workFinished(result.status)), Effect.as({ _tag: "Ack" }));
            case "AlreadyFinished":
              // A redelivered result: already stored.
              return Effect.succeed({ _tag: "Ack" });
            case "UnknownWork":
              return Effect.succeed({ _tag: "Reject", reason: "unknown_work", detail: `no work ${JSON.stringify(result.work_id)} was handed out` });
            case "WrongAgent":
              return Effect.succeed({
                _tag: "Reject",
                reason: "wrong_agent",
                detail: `work ${result.work_id} was booked on ${outcome.assignedTo}, not ${result.agent_id}`
              });
          }
        })
      );
    return { handle };
  }) satisfies Effect.Effect<unknown, never, AgentRegistry | WorkRegistry | Scope.Scope>;
