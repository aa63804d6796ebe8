import { Duration, Effect, Random, Schedule } from "effect";

// The connection's schedules (SPEC §3), named once for whoever connects.

/** SPEC §3: reconnect backoff 1, 2, 4, … s capped at 60 s, 10 attempts in all. */
export const RECONNECT_ATTEMPTS = 10;
export const RECONNECT_BASE = Duration.seconds(1);
export const RECONNECT_CAP = Duration.seconds(60);

export interface ReconnectOptions {
  /** Random ±20 % on each delay, so a fleet restarted together spreads out. */
  readonly jitter: boolean;
  /** Called before each wait with the failed attempt's number (1-based), its error and the delay. */
  readonly onRetry?: (attempt: number, error: unknown, delay: Duration.Duration) => Effect.Effect<void>;
}

/**
 * Connecting at start-up and after any loss: exponential from 1 s, doubling,
 * jittered, each delay capped at 60 s; 9 retries after the first attempt.
 * Without jitter the delays are exactly 1, 2, 4, 8, 16, 32, 60, 60, 60 s.
 */
export const reconnectSchedule = (options: ReconnectOptions) => {
  const base = Schedule.exponential(RECONNECT_BASE, 2);
  const jittered = options.jitter ? Schedule.jittered(base) : base;
  const capped = Schedule.modifyDelay(jittered, (meta) => {
    const delay = Duration.min(meta.duration, RECONNECT_CAP);
    // The schedule is asked for a delay after the last attempt too; that one is never waited.
    return options.onRetry === undefined || meta.attempt >= RECONNECT_ATTEMPTS
      ? Effect.succeed(delay)
      : Effect.as(options.onRetry(meta.attempt, meta.input, delay), delay);
  });
  return Schedule.max([capped, Schedule.recurs(RECONNECT_ATTEMPTS - 1)]);
};

/**
 * Before the first attempt of a round (start-up, or right after a loss): a
 * random 0–1 s pause with jitter on, so a fleet that restarts together, or
 * loses the broker together, does not reconnect in lock-step.
 */
export const connectRoundDelay = (jitter: boolean): Effect.Effect<void> =>
  jitter ? Effect.flatMap(Random.nextBetween(0, 1000), (ms) => Effect.sleep(Duration.millis(ms))) : Effect.void;
