import { Effect, Option } from "effect";
import { TestClock } from "effect/testing";
import { runTest } from "@homelab/testing";
import { Readiness } from "../src/Readiness.ts";

describe("Readiness.readySince", () => {
  it("is the time both components were last up together: None while either is down, unchanged by repeated reports of up", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const readiness = yield* Readiness;
        const at = () => readiness.readySince.pipe(Effect.map(Option.getOrUndefined));
        const atStart = yield* at();
        yield* TestClock.adjust("1 second");
        yield* readiness.set("database", true);
        const databaseOnly = yield* at();
        yield* TestClock.adjust("1 second");
        yield* readiness.set("broker", true);
        const both = yield* at();
        yield* TestClock.adjust("5 seconds");
        yield* readiness.set("database", true, "ok");
        const repeated = yield* at();
        yield* readiness.set("broker", false, "connection lost");
        const brokerDown = yield* at();
        yield* TestClock.adjust("3 seconds");
        yield* readiness.set("broker", true);
        const back = yield* at();
        return { atStart, databaseOnly, both, repeated, brokerDown, back };
      }).pipe(Effect.provide(Readiness.layer))
    );
    expect(seen).toEqual({ atStart: undefined, databaseOnly: undefined, both: 2000, repeated: 2000, brokerDown: undefined, back: 10_000 });
  });

  it("stays None after a ping finds the database back while a heartbeat write is still being retried, and starts when that write lands", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const readiness = yield* Readiness;
        const at = () => readiness.readySince.pipe(Effect.map(Option.getOrUndefined));
        yield* readiness.set("broker", true);
        yield* readiness.set("database", true);
        const atStart = yield* at();
        // The database goes: a write fails and is retried.
        yield* TestClock.adjust("10 seconds");
        yield* readiness.set("database", false, "connection refused");
        yield* readiness.setWritesFlowing(false);
        yield* TestClock.adjust("20 seconds");
        // It is back: the ping says so before the write's next retry.
        yield* readiness.set("database", true, "ok");
        const pingOnly = yield* at();
        yield* TestClock.adjust("4 seconds");
        yield* readiness.setWritesFlowing(true);
        const writeLanded = yield* at();
        return { atStart, pingOnly, writeLanded };
      }).pipe(Effect.provide(Readiness.layer))
    );
    expect(seen).toEqual({ atStart: 0, pingOnly: undefined, writeLanded: 34_000 });
  });
});
