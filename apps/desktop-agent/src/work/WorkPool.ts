import { Deferred, Effect, Scope, Semaphore } from "effect";
import type { Message } from "@homelab/protocol";

/** One piece of work this agent process has started; its result is the work_result to publish. */
export interface WorkEntry {
  readonly workId: string;
  readonly result: Deferred.Deferred<Message>;
  /** Completes, with the reason, when the orchestrator cancels this work (work_cancel). */
  readonly cancelled: Deferred.Deferred<string>;
  /** One publisher at a time, so a result is never published twice by this process. */
  readonly publishing: Semaphore.Semaphore;
}

/**
 * The work running in this agent process, for as long as the process lives:
 * a lost connection does not stop it. A request delivered again after a
 * reconnect finds its work here (running, or done with the result not yet
 * published, or published) and is answered with that, never run twice.
 */
export interface WorkPool {
  /** work_ids whose program is running now, oldest first (the heartbeat's current_work). */
  readonly running: Effect.Effect<ReadonlyArray<string>>;
  /** The work with this id, "published" when its result went out recently, or undefined. */
  readonly find: (workId: string) => Effect.Effect<WorkEntry | "published" | undefined>;
  /** Starts `work` (which ends with its result message; `cancelled` completes on a work_cancel) in the background. */
  readonly start: (workId: string, work: (cancelled: Effect.Effect<string>) => Effect.Effect<Message>) => Effect.Effect<WorkEntry>;
  /**
   * A work_cancel: running work is killed (its result says `cancelled`);
   * work not started yet is remembered, and its request is answered
   * `cancelled` without running. Says which it was.
   */
  readonly cancel: (workId: string, reason: string) => Effect.Effect<"running" | "not started" | "finished">;
  /** Why this work was cancelled before it started, or undefined. */
  readonly cancelledBeforeStart: (workId: string) => Effect.Effect<string | undefined>;
  /** The work's result is out (confirmed by the broker): forget it, remember the id. */
  readonly markPublished: (workId: string) => Effect.Effect<void>;
  /** The agent is stopping: no new work starts, running work gets its grace. */
  readonly stop: Effect.Effect<void>;
  /** Completes once {@link stop} has been called. */
  readonly stopping: Effect.Effect<void>;
  readonly isStopping: Effect.Effect<boolean>;
}

/** How many published work_ids are remembered to recognise a late redelivery. */
const PUBLISHED_MEMORY = 1024;

/** A pool whose work is interrupted (its process groups killed) when the scope closes. */
export const makeWorkPool: Effect.Effect<WorkPool, never, Scope.Scope> = Effect.gen(function* () {
  const scope = yield* Scope.Scope;
  const entries = new Map<string, WorkEntry & { running: boolean }>();
  const published = new Set<string>();
  const cancelledEarly = new Map<string, string>();
  const stopped = yield* Deferred.make<void>();
  const remember = <A>(set: Set<A> | Map<A, unknown>) => {
    for (const oldest of set.keys()) {
      if (set.size <= PUBLISHED_MEMORY) break;
      set.delete(oldest);
    }
  };
  return {
    running: Effect.sync(() => [...entries.values()].filter((e) => e.running).map((e) => e.workId)),
    find: (workId) => Effect.sync(() => entries.get(workId) ?? (published.has(workId) ? "published" : undefined)),
    start: (workId, work) =>
      Effect.gen(function* () {
        const entry = {
          workId,
          result: Deferred.makeUnsafe<Message>(),
          cancelled: Deferred.makeUnsafe<string>(),
          publishing: Semaphore.makeUnsafe(1),
          running: true
        };
        entries.set(workId, entry);
        yield* work(Deferred.await(entry.cancelled)).pipe(
          Effect.tap((message) => Deferred.succeed(entry.result, message)),
          Effect.ensuring(
            Effect.sync(() => {
              entry.running = false;
            })
          ),
          Effect.forkIn(scope)
        );
        return entry;
      }),
    markPublished: (workId) =>
      Effect.sync(() => {
        entries.delete(workId);
        published.add(workId);
        remember(published);
      }),
    cancel: (workId, reason) =>
      Effect.gen(function* () {
        const entry = entries.get(workId);
        if (entry !== undefined && entry.running) {
          yield* Deferred.succeed(entry.cancelled, reason);
          return "running" as const;
        }
        if (entry !== undefined || published.has(workId)) return "finished" as const;
        cancelledEarly.set(workId, reason);
        remember(cancelledEarly);
        return "not started" as const;
      }),
    cancelledBeforeStart: (workId) => Effect.sync(() => cancelledEarly.get(workId)),
    stop: Deferred.succeed(stopped, undefined).pipe(Effect.asVoid),
    stopping: Deferred.await(stopped),
    isStopping: Deferred.isDone(stopped)
  } satisfies WorkPool;
});
