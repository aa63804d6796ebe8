import { Effect, Exit, Fiber } from "effect";
import { TestClock } from "effect/testing";
import { runTest } from "@homelab/testing";
import { makeBatcher } from "../src/Batcher.ts";

/** Lets forked fibers (the writes) run before the test looks. */
const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow, { discard: true });
/** Advances the TestClock in steps, letting fibers run between them. */
const advance = (steps: number, ms: number) =>
  Effect.forEach(Array.from({ length: steps }), () => settle.pipe(Effect.andThen(TestClock.adjust(`${ms} millis`)), Effect.andThen(settle)), {
    discard: true
  });

describe("Batcher (TestClock)", () => {
  it("writes a full batch at once and a partial one when the linger is over", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const writes: Array<{ items: ReadonlyArray<number>; at: number }> = [];
        const batcher = yield* makeBatcher<number, never>({
          maxSize: 3,
          lingerMs: 20,
          write: (batch) =>
            Effect.sync(() => {
              writes.push({ items: batch.map((b) => b.item), at: Date.now() });
            })
        });
        const fibers = yield* Effect.forEach([1, 2, 3, 4], (n) => Effect.forkChild(batcher.submit(n)));
        yield* TestClock.adjust(0);
        yield* settle;
        const afterFull = writes.map((w) => w.items);
        yield* TestClock.adjust("19 millis");
        const beforeLinger = writes.length;
        yield* TestClock.adjust("1 millis");
        yield* Effect.forEach(fibers, Fiber.join);
        return { afterFull, beforeLinger, all: writes.map((w) => w.items) };
      })
    );
    expect(seen.afterFull).toEqual([[1, 2, 3]]);
    expect(seen.beforeLinger).toBe(1);
    expect(seen.all).toEqual([[1, 2, 3], [4]]);
  });

  it("puts everything that arrived within the linger into one batch", async () => {
    const batches = await runTest(
      Effect.gen(function* () {
        const writes: Array<ReadonlyArray<number>> = [];
        const batcher = yield* makeBatcher<number, never>({
          maxSize: 500,
          lingerMs: 20,
          write: (batch) => Effect.sync(() => void writes.push(batch.map((b) => b.item)))
        });
        const first = yield* Effect.forkChild(batcher.submit(1));
        yield* TestClock.adjust("5 millis");
        const rest = yield* Effect.forEach([2, 3, 4], (n) => Effect.forkChild(batcher.submit(n)));
        yield* TestClock.adjust("15 millis");
        yield* Effect.forEach([first, ...rest], Fiber.join);
        return writes;
      })
    );
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it("fails every submitter of a batch whose write fails, so their messages are requeued", async () => {
    const results = await runTest(
      Effect.gen(function* () {
        const batcher = yield* makeBatcher<number, string>({
          maxSize: 2,
          lingerMs: 10,
          write: () => Effect.fail("database unavailable")
        });
        const fibers = yield* Effect.forEach([1, 2], (n) => Effect.forkChild(Effect.flip(batcher.submit(n))));
        yield* TestClock.adjust(0);
        return yield* Effect.forEach(fibers, Fiber.join);
      })
    );
    expect(results).toEqual(["database unavailable", "database unavailable"]);
  });

  it("overlaps up to `concurrency` writes, and writes a batch with an exclusive item alone, after all before it and before all after it", async () => {
    const log = await runTest(
      Effect.gen(function* () {
        const events: Array<string> = [];
        const batcher = yield* makeBatcher<string, never>({
          maxSize: 1,
          lingerMs: 0,
          concurrency: 2,
          exclusive: (item) => item.startsWith("x"),
          // Each write takes 10 ms of (test) time.
          write: (batch) =>
            Effect.gen(function* () {
              const name = batch.map((b) => b.item).join();
              events.push(`start ${name}`);
              yield* Effect.sleep("10 millis");
              events.push(`end ${name}`);
            })
        });
        const fibers = yield* Effect.forEach(["a", "b", "x", "c", "d"], (item) => Effect.forkChild(batcher.submit(item)));
        yield* advance(12, 5);
        yield* Effect.forEach(fibers, Fiber.join);
        return events;
      })
    );
    expect(log).toEqual(["start a", "start b", "end a", "end b", "start x", "end x", "start c", "start d", "end c", "end d"]);
  });

  it("hands each item its own batch's outcome through offer's callback", async () => {
    const outcomes = await runTest(
      Effect.gen(function* () {
        const seen: Array<string> = [];
        const batcher = yield* makeBatcher<number, string>({
          maxSize: 1,
          lingerMs: 0,
          write: (batch) => (batch[0]!.item % 2 === 0 ? Effect.void : Effect.fail(`odd ${batch[0]!.item}`))
        });
        for (const n of [1, 2, 3]) batcher.offer(n, (exit) => seen.push(Exit.isSuccess(exit) ? `${n} ok` : `${n} failed`));
        yield* advance(3, 1);
        return seen;
      })
    );
    expect(outcomes).toEqual(["1 failed", "2 ok", "3 failed"]);
  });
});
