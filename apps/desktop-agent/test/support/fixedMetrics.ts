import { Clock, Effect, Layer } from "effect";
import { MetricsCollector } from "@homelab/metrics";
import type { CollectionError, GpuInventory, ResourceMetrics } from "@homelab/protocol";

/** A MetricsCollector for unit tests: fixed figures stamped with the (test) clock; no GPU inventory unless given. */
export const fixedMetricsLayer = (
  overrides: Partial<ResourceMetrics> = {},
  inventory: Effect.Effect<GpuInventory | null, CollectionError> = Effect.succeed(null)
) =>
  Layer.succeed(MetricsCollector, {
    collect: Effect.map(Clock.currentTimeMillis, (now) => ({ ...FIXED, ...overrides, collected_at: new Date(now).toISOString() })),
    inventory
  });

export const FIXED: ResourceMetrics = {
  cpu_load_1min: 0.5,
  cpu_load_5min: 0.4,
  cpu_load_15min: 0.3,
  cpu_cores_total: 16,
  cpu_cores_available: 15.5,
  memory_total_gb: 62.7,
  memory_available_gb: 48.1,
  memory_percent: 23.3,
  gpu_type: "nvidia",
  gpu_count: 1,
  gpu_vram_total_gb: 23.988,
  gpu_vram_available_gb: 21.779,
  gpus: [
    {
      index: 0,
      uuid: "GPU-5c1a2b3d-4e5f-6789-abcd-ef0123456789",
      name: "NVIDIA GeForce RTX 4090",
      vram_total_gb: 23.988,
      vram_used_gb: 1.8,
      vram_available_gb: 21.779,
      utilization_percent: 12,
      temperature_c: 41
    }
  ],
  collected_at: "1970-01-01T00:00:00.000Z",
  collection_errors: []
};
