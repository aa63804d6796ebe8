import os from "node:os";
import { Context, Data, Effect, Layer } from "effect";
import si from "systeminformation";

/** Reading the OS failed (systeminformation rejected or returned nonsense). */
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
   * Reads the machine this process runs on. Load and cores come from `os`
   * (free, synchronous but trivial); memory from systeminformation, which on
   * Linux reads /proc/meminfo asynchronously and reports MemAvailable.
   */
  static readonly layer: Layer.Layer<HostProbe> = Layer.succeed(HostProbe, {
    loadAverages: Effect.sync(() => {
      const [one = 0, five = 0, fifteen = 0] = os.loadavg();
      return [one, five, fifteen] as const;
    }),
    logicalCores: Effect.sync(() => os.availableParallelism()),
    memory: Effect.tryPromise({
      try: () => si.mem(),
      catch: (cause) =>
        new HostSourceError({
          source: "memory",
          message: `systeminformation.mem() failed: ${cause instanceof Error ? cause.message : String(cause)}`
        })
    }).pipe(
      Effect.flatMap((mem) =>
        Number.isFinite(mem.total) && mem.total > 0 && Number.isFinite(mem.available) && mem.available >= 0
          ? Effect.succeed({ total_bytes: mem.total, available_bytes: Math.min(mem.available, mem.total) })
          : Effect.fail(
              new HostSourceError({
                source: "memory",
                message: `systeminformation.mem() returned total=${mem.total} available=${mem.available}`
              })
            )
      )
    )
  });
}
