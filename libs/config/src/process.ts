import { NodeRuntime } from "@effect/platform-node";
import { Cause, Effect, Exit, Logger, type LogLevel, References, Runtime } from "effect";

/** The log levels both apps accept (`LOG_LEVEL`), quietest last. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const EFFECT_LEVELS: Record<LogLevelName, LogLevel.LogLevel> = { trace: "Trace", debug: "Debug", info: "Info", warn: "Warn", error: "Error" };

/** Runs `effect` logging at `level` and above. */
export const withLogLevel =
  (level: LogLevelName) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(effect, References.MinimumLogLevel, EFFECT_LEVELS[level]);

/** A signal is the normal way to stop a daemon: exit 0. Anything else keeps its own exit code (78 for InvalidConfig). */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit);

/**
 * The one way an app's `main.ts` runs its program: logs to stderr, an error
 * that ends the process printed as one line (its message), and the exit code
 * by the teardown above.
 */
export const runApp = <E extends { readonly message: string }>(program: Effect.Effect<unknown, E>): void =>
  NodeRuntime.runMain(
    program.pipe(
      Effect.tapError((e) => Effect.sync(() => console.error(e.message))),
      Effect.provideService(Logger.LogToStderr, true)
    ),
    { teardown, disableErrorReporting: true }
  );
