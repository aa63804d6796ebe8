import { Clock, Effect, Exit, Option, type Scope } from "effect";
import type { StatusUpdate, WorkResult } from "@homelab/protocol";
import { AgentRegistry, type OfflineTransition, type RegistryError, SHUTDOWN_REASON, type StatusTransition, WorkRegistry } from "@homelab/registry";
import { makeBatcher } from "./Batcher.ts";
import type { Handled, ReplyHandler } from "@homelab/broker";
import { makeWritePolicy, type Refusal, writeBisecting } from "./WritePolicy.ts";

/**
 * One message in the ingest pipeline. `refused` is set by the write that
 * holds it when the database cannot store it: the message is then
 * dead-lettered instead of acked.
 */
type Event = (
  | { readonly _tag: "Heartbeat"; readonly update: StatusUpdate }
  | { readonly _tag: "Shutdown"; readonly agentId: string; readonly bootId: string }
) & { refused?: Refusal };

type HeartbeatEvent = Event & { readonly _tag: "Heartbeat" };

type Run =
  | { readonly _tag: "Heartbeats"; readonly events: ReadonlyArray<HeartbeatEvent> }
  | { readonly _tag: "Shutdown"; readonly event: Event & { readonly _tag: "Shutdown" } };

/** Consecutive heartbeats become one write; each shutdown is a write of its own, in place. */
const runs = (events: ReadonlyArray<Event>): ReadonlyArray<Run> => {
  const out: Array<Run> = [];
  let pending: Array<HeartbeatEvent> = [];
  for (const e of events) {
    if (e._tag === "Heartbeat") pending.push(e);
    else {
      if (pending.length > 0) out.push({ _tag: "Heartbeats", events: pending });
      pending = [];
      out.push({ _tag: "Shutdown", event: e });
    }
  }
  if (pending.length > 0) out.push({ _tag: "Heartbeats", events: pending });
  return out;
};

export interface IngestHooks {
  /** Reported down only when a write failed and the ping failed too: the database is away, not one message's data. */
  readonly databaseUp: (up: boolean, detail: string) => Effect.Effect<void>;
  readonly batchCommitted: (size: number, applied: number, ignored: number, oldestReceivedAt: number, committedAt: number) => Effect.Effect<void>;
  /** Agents that went offline by agent_shutdown, with the work lost with them. */
  readonly wentOffline: (transitions: ReadonlyArray<OfflineTransition>) => Effect.Effect<void>;
  /** An agent_shutdown named another boot than the registered one, and changed nothing. */
  readonly shutdownIgnored: (agentId: string, bootId: string, registeredBoot: string) => Effect.Effect<void>;
  /** A work result was stored (its work ended in that state). */
  readonly workFinished: (state: WorkResult["status"]) => Effect.Effect<void>;
  /** These agents may have room now (a heartbeat showed their figures, a job of theirs ended): queued work may fit. */
  readonly roomMayHaveFreed?: (agentIds: ReadonlyArray<string>) => Effect.Effect<void>;
}

/**
 * Turns reply-queue messages into registry writes. Heartbeats and shutdowns
 * are batched in arrival order (up to `maxBatch`, or `lingerMs` after the
 * first); consecutive heartbeats are one `applyHeartbeats` call, and each
 * message is acked only after its batch committed. While the database is
 * away the write is retried (the orchestrator is unready, not dead) and the
 * messages stay unacked. A message whose data the database refuses is
 * dead-lettered (`unstorable`), found by writing its batch by halves so that
 * every other message in it is applied; a write the database keeps failing
 * for another reason is dead-lettered (`write_failed`) after a few attempts
 * (see WritePolicy). Nothing is retried forever.
 */
export const makeIngest = (options: {
  readonly maxBatch: number;
  readonly lingerMs: number;
  /** Batches written at once (heartbeat batches only; a shutdown is a barrier). */
  readonly writeConcurrency?: number;
  /** The heartbeat timeout: a registered boot silent this long gives way to another boot (boot order). */
  readonly heartbeatTimeoutSeconds?: number;
  /**
   * "broker_user": every agent connects as its own broker user, named like
   * its agent_id, and a message is taken only if its user_id (checked by
   * RabbitMQ against the connection's user) is that agent_id. "shared"
   * (default): all agents share credentials; the sender binding still holds.
   */
  readonly agentIdentity?: "shared" | "broker_user";
  /** false: no per-minute history samples (HISTORY_RETENTION_DAYS=0). */
  readonly history?: boolean;
  readonly hooks: IngestHooks;
}) =>
  Effect.gen(function* () {
    const registry = yield* AgentRegistry;
    const work = yield* WorkRegistry;
    const run = Effect.runPromiseWith(yield* Effect.context<never>());
    const { hooks } = options;

    const persist = makeWritePolicy({ ping: registry.ping, databaseUp: hooks.databaseUp });

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
          const oldest = Math.min(...batch.map((b) => b.receivedAt));
          for (const step of runs(batch.map((b) => b.item))) {
            if (step._tag === "Heartbeats") {
              const refusals = yield* writeBisecting(step.events, (events) => applyHeartbeats(events, oldest));
              step.events.forEach((event, i) => {
                const refused = refusals[i];
                if (refused !== undefined) event.refused = refused;
              });
            } else {
              const { agentId, bootId } = step.event;
              const outcome = yield* persist(registry.markOffline([agentId], SHUTDOWN_REASON, { bootId }));
              if (outcome._tag === "Refused") step.event.refused = outcome;
              else if (outcome.value.length > 0) {
                yield* logTransitions(outcome.value);
                yield* hooks.wentOffline(outcome.value);
              } else {
                // Nothing changed: already offline, unknown, or (counted) a shutdown from another boot.
                const held = yield* registry.getAgent(agentId).pipe(Effect.option);
                const registered = Option.flatten(held);
                if (Option.isSome(registered) && registered.value.boot_id !== bootId) {
                  yield* hooks.shutdownIgnored(agentId, bootId, registered.value.boot_id);
                }
              }
            }
          }
        })
    });

    /** One write of heartbeats, with what follows a commit: figures, transitions, work now running. */
    const applyHeartbeats = (events: ReadonlyArray<HeartbeatEvent>, oldestReceivedAt: number) =>
      Effect.gen(function* () {
        const updates = events.map((e) => e.update);
        const outcome = yield* persist(
          registry.applyHeartbeats(updates, {
            ...(options.heartbeatTimeoutSeconds === undefined ? {} : { silentBootSeconds: options.heartbeatTimeoutSeconds }),
            history: options.history ?? true
          })
        );
        if (outcome._tag === "Refused") return outcome;
        const result = outcome.value;
        const committedAt = yield* Clock.currentTimeMillis;
        yield* hooks.batchCommitted(updates.length, result.applied, result.ignored, oldestReceivedAt, committedAt);
        yield* logTransitions(result.transitions);
        if (hooks.roomMayHaveFreed !== undefined) yield* hooks.roomMayHaveFreed([...new Set(updates.map((u) => u.agent_id))]);
        // Work an agent lists in current_work is running. The heartbeats are
        // stored already: if this cannot be written, running shows later
        // (from the next heartbeat, or the result), and the messages stand.
        const running = yield* persist(work.markRunning(updates));
        if (running._tag === "Refused") {
          yield* Effect.logWarning(`could not mark listed work running (${running.reason}): ${running.detail}`);
        }
        return outcome;
      });

    const queued = (event: Event, settle: (handled: Handled) => void) => (exit: Exit.Exit<void, never>) => {
      if (Exit.isFailure(exit)) return settle({ _tag: "Requeue", why: "the write holding it did not finish" });
      const refused = event.refused;
      settle(refused === undefined ? { _tag: "Ack" } : { _tag: "Reject", reason: refused.reason, detail: refused.detail });
    };

    const handle: ReplyHandler = (message, settle, delivery) => {
      if (
        options.agentIdentity === "broker_user" &&
        message.type !== "work_request" &&
        message.type !== "work_cancel" &&
        delivery.userId !== message.payload.agent_id
      ) {
        return settle({
          _tag: "Reject",
          reason: "unauthenticated",
          detail:
            delivery.userId === undefined
              ? `no user_id on a message for agent ${message.payload.agent_id} (AGENT_IDENTITY=broker_user: agents publish as their own broker user)`
              : `user_id ${JSON.stringify(delivery.userId)} may not speak for agent ${message.payload.agent_id}`
        });
      }
      switch (message.type) {
        case "work_status": {
          const event: Event = { _tag: "Heartbeat", update: message.payload };
          return batcher.offer(event, queued(event, settle));
        }
        case "agent_shutdown": {
          const event: Event = { _tag: "Shutdown", agentId: message.payload.agent_id, bootId: message.payload.boot_id };
          return batcher.offer(event, queued(event, settle));
        }
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
        case "work_cancel":
          return settle({
            _tag: "Reject",
            reason: "unsupported",
            detail: "a work_cancel does not belong on the reply queue (it goes to agent.<agent_id>.control)"
          });
      }
    };

    /**
     * A result ends its work and releases what it held. Results are few: each
     * is its own write, outside the heartbeat batches (nothing orders them:
     * a heartbeat can only move work from dispatched to running).
     */
    const recordResult = (result: WorkResult): Effect.Effect<Handled> =>
      persist(work.recordResult(result)).pipe(
        Effect.flatMap((written): Effect.Effect<Handled> => {
          if (written._tag === "Refused") return Effect.succeed({ _tag: "Reject", reason: written.reason, detail: written.detail });
          const outcome = written.value;
          switch (outcome._tag) {
            case "Recorded":
              return Effect.logInfo(
                `work ${result.work_id} on ${result.agent_id}: ${outcome.previous} -> ${result.status}`
              ).pipe(
                Effect.andThen(hooks.workFinished(result.status)),
                Effect.andThen(hooks.roomMayHaveFreed?.([result.agent_id]) ?? Effect.void),
                Effect.as({ _tag: "Ack" })
              );
            case "Late":
              return Effect.logWarning(
                `work ${result.work_id}: a ${result.status} result from ${result.agent_id} came after it ended ${outcome.state}; kept as late_result`
              ).pipe(Effect.as({ _tag: "Ack" }));
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
