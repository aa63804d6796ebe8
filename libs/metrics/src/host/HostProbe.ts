import os from "node:os";
import { Context, Data, Effect, Layer } from "effect";

/** Reading the OS failed (it returned nonsense). */
export class HostSourceError extends Data.TaggedError("HostSourceError")<{
  readonly source: "memory" | "cpu";
  readonly message: string;
}> {}

export interface MemoryReading {
  readonly total_bytes: number;
  readonly available_bytes: number;
}

/** The host's own figures: load averages, logical cores and memory. */
export interface HostProbeShape {
  /** 1, 5 and 15 minute load averages (not instantaneous CPU %). */
  readonly loadAverages: Effect.Effect<readonly [number, number, number], HostSourceError>;
  readonly logicalCores: Effect.Effect<number, HostSourceError>;
  readonly memory: Effect.Effect<MemoryReading, HostSourceError>;
}

export class HostProbe extends Context.Service<HostProbe, HostProbeShape>()("@homelab/metrics/HostProbe") {
  /**
   * Reads the machine this process runs on, all from `os` (synchronous but
   * trivial). Memory: `os.freemem()` is MemAvailable on Linux (libuv 1.45 on,
   * Node 20), the figure systeminformation used to give us: dropping that
   * library took 0.7 MB off the agent's bundle and ~1 ms of CPU off each
   * collection (docs/benchmarks.md, "Desktop agent footprint").
   */
  static readonly layer: Layer.Layer<HostProbe> = Layer.succeed(HostProbe, {
    loadAverages: Effect.sync(() => {
      const [one = 0, five = 0, fifteen = 0] = os.loadavg();
      return [one, five, fifteen] as const;
    }),
    logicalCores: Effect.sync(() => os.availableParallelism()),
    memory: Effect.suspend(() => memoryReading(os.totalmem(), os.freemem()))
  });
}

/** Total and available bytes as the OS reported them, checked (a zero or non-finite total is no reading). */
export const memoryReading = (total: number, available: number): Effect.Effect<MemoryReading, HostSourceError> =>
  Number.isFinite(total) && total > 0 && Number.isFinite(available) && available >= 0
    ? Effect.succeed({ total_bytes: total, available_bytes: Math.min(available, total) })
    : Effect.fail(
        new HostSourceError({ source: "memory", message: `the OS reported memory total=${total} available=${available}` })
      );
