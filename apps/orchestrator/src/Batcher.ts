import { Clock, Deferred, Effect, Fiber, Queue, type Scope } from "effect";

/**
 * Groups items submitted one at a time into batches: a batch is written when
 * it reaches `maxSize` or `lingerMs` after its first item, whichever comes
 * first, one batch at a time. Each submitter waits for its own batch's
 * outcome, so a message is acked only after the write that holds it commits.
 */
export interface Batcher<A, E> {
  readonly submit: (item: A) => Effect.Effect<void, E>;
}

interface Pending<A, E> {
  readonly item: A;
  readonly receivedAt: number;
  readonly done: Deferred.Deferred<void, E>;
}

export const makeBatcher = <A, E>(options: {
  readonly maxSize: number;
  readonly lingerMs: number;
  /** Writes one batch; `receivedAt` (ms, Clock) per item, for latency figures. */
  readonly write: (batch: ReadonlyArray<{ readonly item: A; readonly receivedAt: number }>) => Effect.Effect<void, E>;
}): Effect.Effect<Batcher<A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
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
      const exit = yield* Effect.exit(options.write(batch.map((p) => ({ item: p.item, receivedAt: p.receivedAt }))));
      for (const p of batch) yield* Deferred.done(p.done, exit);
    });
    const fiber = yield* Effect.forkScoped(Effect.forever(writer));
    yield* Effect.addFinalizer(() => Fiber.interrupt(fiber));
    return {
      submit: (item: A) =>
        Effect.gen(function* () {
          const done = yield* Deferred.make<void, E>();
          yield* Queue.offer(queue, { item, receivedAt: yield* Clock.currentTimeMillis, done });
          return yield* Deferred.await(done);
        })
    };
  });
