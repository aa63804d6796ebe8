import { Effect, Layer } from "effect";
import { TestClock } from "effect/testing";

/**
 * Runs a test program with a TestClock: time moves only through
 * `TestClock.adjust`, so schedules (heartbeats, backoff, sweeps) are driven
 * without waiting on real time. Scoped resources are released at the end.
 */
export const runTest = <A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(TestClock.layer())));

/**
 * Runs a test program on the real clock, for integration tests whose waiting
 * is on real I/O (a broker round-trip), never on a timer a TestClock could drive.
 */
export const runLive = <A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(Layer.empty)));
