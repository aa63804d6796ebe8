import { Effect, Layer, References } from "effect";
import { TestClock } from "effect/testing";

/**
 * Runs a test program with a TestClock: time moves only through
 * `TestClock.adjust`, so schedules (heartbeats, backoff, sweeps) are driven
 * without waiting on real time. Scoped resources are released at the end.
 */
export const runTest = <A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.scoped(effect).pipe(quiet, Effect.provide(TestClock.layer())));

/**
 * Runs a test program on the real clock, for integration tests whose waiting
 * is on real I/O (a broker round-trip), never on a timer a TestClock could drive.
 */
export const runLive = <A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.scoped(effect).pipe(quiet, Effect.provide(Layer.empty)));

/** Tests log errors only (TEST_LOG_LEVEL=warn|info|debug shows more), so Jest output stays readable. */
const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, References.MinimumLogLevel, testLogLevel());

const LEVELS = ["All", "Trace", "Debug", "Info", "Warn", "Error", "Fatal", "None"] as const;
const testLogLevel = (): (typeof LEVELS)[number] =>
  LEVELS.find((l) => l.toLowerCase() === (process.env["TEST_LOG_LEVEL"] ?? "error").toLowerCase()) ?? "Error";
