import { Clock, Context, Effect, Exit, Layer, PubSub, Ref, Scope, Stream } from "effect";
import { ACTIVE_STATES, AgentRegistry, type RegistryError, WORK_STATES, type WorkState, WorkRegistry } from "@homelab/registry";
import { agentView } from "../http/agents.ts";
import { liveKeepAlive, livePollSchedule } from "../schedules.ts";
import { queueView } from "../work/queueView.ts";
import { AgentRefresh } from "./AgentRefresh.ts";
import { ChangeCursor } from "./ChangeCursor.ts";

// The dashboard's live feed (GET /events, Server-Sent Events). One poller
// reads what changed in the registry (agents and work updated since its last
// read, by the database clock) while at least one page is connected, and
// publishes each batch once, already encoded, to every page (a PubSub fanned
// out in memory): the database is read per batch, never per page. Reading
// the registry rather than listening to this process's own events also
// shows what another orchestrator on the same database changed. A page
// gets the whole state first (`snapshot`), so a reconnect resumes from the
// latest state, then the batches.

/** How many jobs of the queue's head each snapshot and work batch carries. */
const QUEUE_HEAD = 100;
/** Finished jobs in a snapshot (newest first). */
const RECENT_FINISHED = 50;
/** Changed rows read per batch at most. */
const BATCH_LIMIT = 1000;
/** Frames a page may fall behind before the oldest are dropped for it (its next snapshot, on reconnect, is whole). */
const PAGE_BUFFER = 1024;

const ENDED_STATES: ReadonlyArray<WorkState> = WORK_STATES.filter(
  (s) => s !== "queued" && !(ACTIVE_STATES as ReadonlyArray<string>).includes(s)
);

/** One published frame, encoded once for every page, and the poll that produced it (pages skip those older than their snapshot). */
interface Published {
  readonly poll: number;
  readonly bytes: Uint8Array;
}

const utf8 = new TextEncoder();
const KEEP_ALIVE = utf8.encode(": keep-alive\n\n");

export interface LiveEventsShape {
  /**
   * A page's feed: the `snapshot` frame, then every batch, as Server-Sent
   * Event text (UTF-8), with a keep-alive comment every 15 s. Fails (before
   * any frame) when the snapshot cannot be read; ends when the page goes.
   */
  readonly connect: Effect.Effect<Stream.Stream<Uint8Array>, RegistryError>;
  /** Pages connected now. */
  readonly pages: Effect.Effect<number>;
  /** Ends every page's feed (the process is stopping: the HTTP server then closes at once instead of waiting for them). */
  readonly close: Effect.Effect<void>;
}

/** A Server-Sent Event: its type and one line of JSON, as UTF-8. */
export const frame = (event: string, data: unknown): Uint8Array => utf8.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export class LiveEvents extends Context.Service<LiveEvents, LiveEventsShape>()("@homelab/orchestrator/LiveEvents") {
  static readonly layer = (options: { readonly heartbeatTimeoutSeconds: number }): Layer.Layer<LiveEvents, never, AgentRegistry | WorkRegistry> =>
    Layer.effect(
      LiveEvents,
      Effect.gen(function* () {
        const agents = yield* AgentRegistry;
        const work = yield* WorkRegistry;
        const pubsub = yield* Effect.acquireRelease(PubSub.sliding<Published>(PAGE_BUFFER), PubSub.shutdown);
        const pages = yield* Ref.make(0);
        // Polls started so far: a frame carries the number of the poll that read it.
        const polls = yield* Ref.make(0);
        const cursor = new ChangeCursor();
        const refresh = new AgentRefresh();

        const workFrame = (now: string, changed: ReadonlyArray<unknown>) =>
          Effect.gen(function* () {
            const queued = yield* queueView(QUEUE_HEAD).pipe(Effect.provideService(WorkRegistry, work));
            const booked = yield* work.bookings;
            return frame("work", { now, work: changed, queued, queued_total: booked.queued, bookings: booked.vram });
          });

        const poll = Effect.gen(function* () {
          const n = yield* Ref.updateAndGet(polls, (p) => p + 1);
          if ((yield* Ref.get(pages)) === 0) {
            cursor.reset();
            return refresh.reset();
          }
          const now = yield* agents.databaseNow;
          const since = cursor.since(now);
          // Who changed is read without figures; only the agents due now are read whole.
          const due = refresh.take(
            cursor.fresh("agent", yield* agents.agentChanges(since), (a) => a.agent_id),
            yield* Clock.currentTimeMillis
          );
          const changedAgents = due.length === 0 ? [] : yield* agents.listAgents({ ids: due });
          const changedWork = cursor.fresh("work", yield* work.list({ updatedSince: since, limit: BATCH_LIMIT }), (w) => w.work_id);
          cursor.advance(now);
          if (changedAgents.length > 0) {
            yield* PubSub.publish(pubsub, { poll: n, bytes: frame("agents", { now, agents: changedAgents.map(agentView) }) });
          }
          if (changedWork.length > 0) yield* PubSub.publish(pubsub, { poll: n, bytes: yield* workFrame(now, changedWork) });
        });

        yield* Effect.forkScoped(
          poll.pipe(
            Effect.catch((e) => Effect.logWarning(`live events: reading what changed failed: ${e.message}`)),
            Effect.repeat(livePollSchedule)
          )
        );

        const snapshot = Effect.gen(function* () {
          const [now, all, active, queued, finished, booked] = yield* Effect.all([
            agents.databaseNow,
            agents.listAgents({}),
            work.list({ states: ACTIVE_STATES, limit: BATCH_LIMIT }),
            queueView(QUEUE_HEAD).pipe(Effect.provideService(WorkRegistry, work)),
            work.list({ states: ENDED_STATES, limit: RECENT_FINISHED }),
            work.bookings
          ]);
          return frame("snapshot", {
            now,
            heartbeat_timeout_seconds: options.heartbeatTimeoutSeconds,
            agents: all.map(agentView),
            bookings: booked.vram,
            queued_total: booked.queued,
            work: { active, queued, finished }
          });
        });

        const connect = Effect.gen(function* () {
          // The page's subscription outlives this effect (it is the response body): its own scope, closed when the stream ends.
          const scope = yield* Scope.make();
          const opened = yield* Effect.gen(function* () {
            yield* Effect.acquireRelease(Ref.update(pages, (p) => p + 1), () => Ref.update(pages, (p) => p - 1));
            const subscription = yield* PubSub.subscribe(pubsub);
            const before = yield* Ref.get(polls);
            const first = yield* snapshot;
            return { subscription, before, first };
          }).pipe(Scope.provide(scope), Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))));
          const batches = Stream.fromSubscription(opened.subscription).pipe(
            // A poll that began before the snapshot's read may hold older rows than it.
            Stream.filter((p) => p.poll > opened.before),
            Stream.map((p) => p.bytes)
          );
          const keepAlive = Stream.tick(liveKeepAlive).pipe(Stream.drop(1), Stream.map(() => KEEP_ALIVE));
          return Stream.concat(Stream.make(opened.first), Stream.merge(batches, keepAlive, { haltStrategy: "left" })).pipe(
            Stream.ensuring(Scope.close(scope, Exit.void))
          );
        });

        return { connect, pages: Ref.get(pages), close: PubSub.shutdown(pubsub) };
      })
    );
}
