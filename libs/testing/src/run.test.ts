import { Effect, Fiber, Ref, Schedule } from "effect";
import { TestClock } from "effect/testing";
import { runTest } from "./run.ts";

describe("runTest", () => {
  it("drives a 30 s schedule with the TestClock: 3 ticks in 90 s, none before", async () => {
    const ticks = await runTest(
      Effect.gen(function* () {
        const count = yield* Ref.make(0);
        const fiber = yield* Ref.update(count, (n) => n + 1).pipe(
          Effect.schedule(Schedule.spaced("30 seconds")),
          Effect.forkChild
        );
        yield* TestClock.adjust("29 seconds");
        const before = yield* Ref.get(count);
        yield* TestClock.adjust("61 seconds");
        const after = yield* Ref.get(count);
        yield* Fiber.interrupt(fiber);
        return { before, after };
      })
    );
    expect(ticks).toEqual({ before: 0, after: 3 });
  });
});
