// The orchestrator's loops wait for the database's start-up (connect and
// migrate, in the background) before their first run: until then every
// registry call fails at once, and each loop would log that as its own
// failure at every start of the orchestrator.
import { Deferred, Effect, Layer } from "effect";
import { TestClock } from "effect/testing";
import { DatabaseStart, RegistryError, WorkRegistry } from "@homelab/registry";
import { runTest } from "@homelab/testing";
import { workTimeoutLayer } from "../src/Background.ts";
import { OrchestratorMetrics } from "../src/OrchestratorMetrics.ts";

/** The work timeout loop on a WorkRegistry that counts its calls, with a start-up the test completes or fails. */
const timeoutLoop = (start: Deferred.Deferred<void, RegistryError>, calls: { n: number }) =>
  workTimeoutLayer({ graceSeconds: 30, intervalSeconds: 30 }).pipe(
    Layer.provide(
      Layer.mergeAll(
        Layer.mock(WorkRegistry, { timeOut: () => Effect.sync(() => ((calls.n += 1), [])) }),
        Layer.mock(OrchestratorMetrics, { workFinished: () => Effect.void }),
        Layer.succeed(DatabaseStart, { started: Deferred.await(start) })
      )
    )
  );

describe("background loops and the database's start-up", () => {
  it("runs the work timeout sweep only once the database has started, then on its interval", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const calls = { n: 0 };
        const start = yield* Deferred.make<void, RegistryError>();
        yield* Layer.build(timeoutLoop(start, calls));
        yield* TestClock.adjust("90 seconds");
        const whileConnecting = calls.n;
        yield* Deferred.succeed(start, undefined);
        yield* TestClock.adjust("1 second");
        const onceStarted = calls.n;
        yield* TestClock.adjust("30 seconds");
        return { whileConnecting, onceStarted, anIntervalLater: calls.n };
      })
    );
    expect(seen).toEqual({ whileConnecting: 0, onceStarted: 1, anIntervalLater: 2 });
  });

  it("never runs it when the start-up gave up (the process is stopping)", async () => {
    const calls = await runTest(
      Effect.gen(function* () {
        const counted = { n: 0 };
        const start = yield* Deferred.make<void, RegistryError>();
        yield* Layer.build(timeoutLoop(start, counted));
        yield* Deferred.fail(start, new RegistryError({ operation: "migrate", message: "migrate: migration failed" }));
        yield* TestClock.adjust("90 seconds");
        return counted.n;
      })
    );
    expect(calls).toBe(0);
  });
});
