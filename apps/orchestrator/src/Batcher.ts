import { Clock, Effect, Exit, Fiber, Queue, Scope, Semaphore } from "effect";

/**
 * Groups items submitted one at a time into batches: a batch is written when
 * it reaches `maxSize` or `lingerMs` after its first item, whichever comes
 * first. Up to `concurrency` batches are written at once, in the order they
 * were formed; a batch holding an `exclusive` item waits for every write
 * before it and holds back every write after it (a barrier). Each submitter
 * learns its own batch's outcome, so a message is acked only after the write
 * that holds it commits.
 */
export interface Batcher<A, E> {
  readonly submit: (item: A) => Effect.Effect<void, E>;
  /**
   * The same as `submit`, for the consumer's hot path: no fiber, promise or
   * Deferred per item (at thousands of messages a second they were a fifth of
   * the orchestrator's CPU, most of it garbage collection). `done` is called
   * once, with the outcome of the write that held the item.
   */
  readonly offer: (item: A, done: (exit: Exit.Exit<void, E>) => void) => void;
}

interface Pending<A, E> {
  readonly item: A;
  readonly receivedAt: number;
  readonly done: (exit: Exit.Exit<void, E>) => void;
}

export const makeBatcher = <A, E>(options: {
  readonly maxSize: number;
  readonly lingerMs: number;
  /** How many batch writes may run at once (default 1: one after another). */
  readonly concurrency?: number;
  /** Items whose batch is written alone, after everything before it and before anything after it. */
  readonly exclusive?: (item: A) => boolean;
  /** Writes one batch; `receivedAt` (ms, Clock) per item, for latency figures. */
  readonly write: (batch: ReadonlyArray<{ readonly item: A; readonly receivedAt: number }>) => Effect.Effect<void, E>;
}): Effect.Effect<Batcher<A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const clock = yield* Clock.Clock;
    const concurrency = Math.max(1, options.concurrency ?? 1);
    const exclusive = options.exclusive ?? (() => false);
    const writes = yield* Semaphore.make(concurrency);
    const scope = yield* Scope.Scope;
    const queue = yield* Queue.unbounded<Pending<A, E>>();
    const writer = Effect.gen(function* () {
      const first = yield* Queue.take(queue);
      const batch: Array<Pending<A, E>> = [first];
      // Until the batch is full or the linger since its first item is over;
      // then whatever else is already queued joins it.
      const room = options.maxSize - 1;
      if (room > 0) {
        const full = yield* Queue.takeBetween(queue, room, room).pipe(Effect.timeoutOption(options.lingerMs));
        if (full._tag === "Some") batch.push(...full.value);
        // takeBetween with a minimum of 0 returns nothing in effect 4.1.0: ask
        // for at least 1, and only when something is there to take.
        else if ((yield* Queue.size(queue)) > 0) batch.push(...(yield* Queue.takeBetween(queue, 1, room)));
      }
      const permits = batch.some((p) => exclusive(p.item)) ? concurrency : 1;
      yield* writes.take(permits);
      yield* options.write(batch.map((p) => ({ item: p.item, receivedAt: p.receivedAt }))).pipe(
        Effect.exit,
        Effect.flatMap((exit) => Effect.sync(() => batch.forEach((p) => p.done(exit)))),
        Effect.ensuring(writes.release(permits)),
        Effect.forkIn(scope)
      );
    });
    const fiber = yield* Effect.forkScoped(Effect.forever(writer));
    yield* Effect.addFinalizer(() => Fiber.interrupt(fiber));
    const offer = (item: A, done: (exit: Exit.Exit<void, E>) => void) =>
      void Queue.offerUnsafe(queue, { item, receivedAt: clock.currentTimeMillisUnsafe(), done });
    return {
      offer,
      submit: (item: A) => Effect.callback<void, E>((resume) => offer(item, resume))
    };
  });
