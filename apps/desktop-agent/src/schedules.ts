import { Duration, Schedule } from "effect";

/**
 * Heartbeats after the first (which goes out at once): on a fixed cadence, so a
 * slow beat does not shift the later ones; a beat that overruns is followed at
 * once by the next, never by a burst of missed ones.
 */
export const heartbeatSchedule = (intervalSeconds: number) => Schedule.fixed(Duration.millis(intervalSeconds * 1000));

/** How often the GPU inventory (driver, CUDA, MIG, ECC, power limit) is collected again after the one at start. */
export const INVENTORY_INTERVAL = Duration.minutes(10);

/** The inventory: once at start, then every {@link INVENTORY_INTERVAL}. */
export const inventorySchedule = Schedule.spaced(INVENTORY_INTERVAL);
