import { Duration, Effect, Schedule } from "effect";

/** Every `offline_sweep_interval_seconds` (SPEC §3): the offline sweep's backstop, and the work timeout's and queue's pace. */
export const sweepSchedule = (intervalSeconds: number) => Schedule.spaced(Duration.millis(intervalSeconds * 1000));

/**
 * The offline sweep wakes this long after an agent's deadline (its last
 * heartbeat plus the timeout, by the database clock), so that by the
 * database's clock the row is strictly older than the timeout when the sweep
 * reads it, even with the two clocks ticking at slightly different rates.
 */
export const offlineDeadlineMargin = Duration.millis(100);

/**
 * Retrying a database write while the database is away: 100 ms doubling to
 * 5 s, for as long as it takes. The messages stay unacked meanwhile (the
 * prefetch bounds how many), so nothing is lost or dead-lettered by an outage.
 */
export const databaseRetrySchedule = Schedule.exponential(Duration.millis(100), 2).pipe(
  Schedule.modifyDelay((meta) => Effect.succeed(Duration.min(meta.duration, Duration.seconds(5))))
);

/** Work past its timeout plus the grace is looked for on the sweep's interval. */
export const workTimeoutSchedule = sweepSchedule;

/** How often the database is pinged for /readyz while no heartbeat write says how it is. */
export const databasePingSchedule = Schedule.spaced(Duration.seconds(5));

/** Agent history older than HISTORY_RETENTION_DAYS is deleted at start and then every hour. */
export const historyPruneSchedule = Schedule.spaced(Duration.hours(1));

/** The live feed reads what changed this often while a page is connected. */
export const livePollSchedule = Schedule.spaced(Duration.millis(500));

/** A comment line on every live feed this often, so proxies and browsers keep it open. */
export const liveKeepAlive = Duration.seconds(15);
