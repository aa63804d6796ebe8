import { Effect, Fiber } from "effect";
import { TestClock } from "effect/testing";
import { runTest } from "@homelab/tools/testing";
import { makeBatcher } from "../src/Batcher.ts";

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
});
