import { Clock, Context, Effect, Layer, Ref } from "effect";
import {
  type CollectionError,
  type GpuInventory,
  type GpuMetrics,
  MAX_GPUS,
  MAX_HEARTBEAT_STRING,
  type ResourceMetrics,
  toStorableText
} from "@homelab/protocol";
import { GpuBackend, type GpuSourceError } from "./gpu/GpuBackend.ts";
import type { GpuReading } from "./gpu/GpuReading.ts";
import { HostProbe, HostSourceError, type MemoryReading } from "./host/HostProbe.ts";
import { MetricsConfig } from "./MetricsConfig.ts";
import { bytesToGb, round } from "./units.ts";

/** Produces the `resources` of a heartbeat. Never fails: trouble lands in `collection_errors`. */
export interface MetricsCollectorShape {
  readonly collect: Effect.Effect<ResourceMetrics>;
  /**
   * The GPU inventory for the heartbeat's `gpu_inventory` (NVIDIA only; null
   * for other backends), bounded by the source timeout. Fails with the
   * source's message; the caller decides when to try again.
   */
  readonly inventory: Effect.Effect<GpuInventory | null, CollectionError>;
}

export class MetricsCollector extends Context.Service<MetricsCollector, MetricsCollectorShape>()(
  "@homelab/metrics/MetricsCollector"
) {
  static readonly layer: Layer.Layer<MetricsCollector, never, HostProbe | GpuBackend | MetricsConfig> = Layer.effect(
    MetricsCollector,
    Effect.gen(function* () {
      const host = yield* HostProbe;
      const gpu = yield* GpuBackend;
      const config = yield* MetricsConfig;
      const lastMemory = yield* Ref.make<Cached<MemoryReading> | undefined>(undefined);
      const lastGpus = yield* Ref.make<Cached<ReadonlyArray<GpuReading>> | undefined>(undefined);

      const bounded = <A, E>(source: string, effect: Effect.Effect<A, E>) =>
        effect.pipe(
          Effect.timeoutOrElse({
            duration: config.sourceTimeoutMs,
            orElse: () =>
              Effect.fail({ message: `${source} did not answer within ${config.sourceTimeoutMs} ms` } as const)
          })
        );

      /** Runs a source; on failure falls back to its last good value, marked stale. */
      const withCache = <A>(
        source: string,
        effect: Effect.Effect<A, HostSourceError | GpuSourceError | { readonly message: string }>,
        cache: Ref.Ref<Cached<A> | undefined>,
        now: number
      ) =>
        bounded(source, effect).pipe(
          Effect.tap((value) => Ref.set(cache, { value, at: now })),
          Effect.map((value) => ({ value, error: undefined as CollectionError | undefined })),
          Effect.catch((error) =>
            Ref.get(cache).pipe(
              Effect.map((cached) => ({
                value: cached?.value,
                error: {
                  source,
                  message:
                    cached === undefined
                      ? error.message
                      : `${error.message}; reporting the last good values from ${new Date(cached.at).toISOString()}`
                }
              }))
            )
          )
        );

      const collect = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        const errors: Array<CollectionError> = [];
        const [one, five, fifteen] = yield* host.loadAverages.pipe(
          Effect.catch((e) => {
            errors.push({ source: "cpu", message: e.message });
            return Effect.succeed([0, 0, 0] as const);
          })
        );
        const cores = yield* host.logicalCores.pipe(
          Effect.catch((e) => {
            errors.push({ source: "cpu", message: e.message });
            return Effect.succeed(1);
          })
        );
        const [memory, gpus] = yield* Effect.all(
          [withCache("memory", host.memory, lastMemory, now), withCache(`gpu:${gpu.gpu_type}`, gpu.read, lastGpus, now)],
          { concurrency: "unbounded" }
        );
        if (memory.error) errors.push(memory.error);
        if (gpus.error) errors.push(gpus.error);
        const gpuEntries = (gpus.value ?? []).map((reading) => toGpuMetrics(reading, errors));
        const mem = memory.value;
        const metrics: ResourceMetrics = {
          cpu_load_1min: round(one, 2),
          cpu_load_5min: round(five, 2),
          cpu_load_15min: round(fifteen, 2),
          cpu_cores_total: cores,
          cpu_cores_available: round(Math.max(0, cores - one), 2),
          memory_total_gb: mem ? bytesToGb(mem.total_bytes) : 0,
          memory_available_gb: mem ? bytesToGb(mem.available_bytes) : 0,
          memory_percent: mem ? round(((mem.total_bytes - mem.available_bytes) / mem.total_bytes) * 100, 1) : 0,
          gpu_type: gpu.gpu_type,
          gpu_count: gpuEntries.length,
          gpu_vram_total_gb: round(gpuEntries.reduce((sum, g) => sum + g.vram_total_gb, 0)),
          gpu_vram_available_gb: round(gpuEntries.reduce((sum, g) => sum + g.vram_available_gb, 0)),
          gpus: gpuEntries,
          collected_at: new Date(now).toISOString(),
          collection_errors: errors.map((e) => ({ source: wireText(e.source), message: wireText(e.message) }))
        };
        return metrics;
      });

      const inventory = Effect.gen(function* () {
        const found = yield* bounded(`gpu:${gpu.gpu_type}`, gpu.inventory);
        if (found === null) return null;
        const now = yield* Clock.currentTimeMillis;
        const text = (value: string | null) => (value === null ? null : wireText(value));
        return {
          backend: "nvidia",
          collected_at: new Date(now).toISOString(),
          driver_version: text(found.driver_version),
          cuda_version: text(found.cuda_version),
          gpus: found.gpus.slice(0, MAX_GPUS).map((g) => ({
            index: g.index,
            uuid: text(g.uuid),
            name: wireText(g.name),
            pci_bus_id: text(g.pci_bus_id),
            mig_mode: text(g.mig_mode),
            mig_devices: Math.min(g.mig_devices, 64),
            ecc_mode: text(g.ecc_mode),
            power_limit_w: g.power_limit_w === null || g.power_limit_w < 0 ? null : g.power_limit_w
          }))
        } satisfies GpuInventory;
      }).pipe(
        Effect.mapError((e): CollectionError => ({ source: `gpu:${gpu.gpu_type}`, message: wireText(e.message) })),
        Effect.withSpan("MetricsCollector.inventory")
      );

      return { collect: Effect.withSpan(collect, "MetricsCollector.collect"), inventory };
    })
  );
}

/** Text from tools and the OS as the orchestrator accepts it: no NUL, at most 256 characters. */
const wireText = (text: string): string => toStorableText(text, MAX_HEARTBEAT_STRING);

interface Cached<A> {
  readonly value: A;
  readonly at: number;
}

/**
 * A reading with no VRAM figure cannot offer capacity: it goes on the wire as
 * 0 (the conservative answer for routing) with the gap named in the errors.
 */
const toGpuMetrics = (reading: GpuReading, errors: Array<CollectionError>): GpuMetrics => {
  const missing = (["vram_total_gb", "vram_used_gb", "vram_available_gb"] as const).filter((k) => reading[k] === null);
  if (missing.length > 0) {
    errors.push({ source: "gpu", message: `GPU ${reading.index} did not report ${missing.join(", ")}; sent as 0` });
  }
  const total = reading.vram_total_gb ?? 0;
  return {
    index: reading.index,
    uuid: reading.uuid === null ? null : wireText(reading.uuid),
    name: wireText(reading.name),
    vram_total_gb: total,
    vram_used_gb: Math.min(reading.vram_used_gb ?? 0, total),
    vram_available_gb: Math.min(reading.vram_available_gb ?? 0, total),
    utilization_percent: reading.utilization_percent,
    temperature_c: reading.temperature_c
  };
};
