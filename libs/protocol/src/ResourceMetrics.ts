import { Schema } from "effect";
import { IsoUtc, NonNegative, NonNegativeInt, Percent, PositiveInt } from "./fields.ts";

/** The GPU vendor backend that produced the figures; "none" when the machine has no usable GPU. */
export const GpuType = Schema.Literals(["nvidia", "amd", "intel", "none"]);

/** A GPU vendor backend name. */
export type GpuType = typeof GpuType.Type;

/** A metrics source that did not answer in time or failed; the heartbeat still goes out. */
export const CollectionError = Schema.Struct({
  source: Schema.String,
  message: Schema.String
});

/** A metrics source failure as carried in `collection_errors`. */
export type CollectionError = typeof CollectionError.Type;

/**
 * One GPU (`resources.gpus[]`). Sizes are GB (MiB / 1024); `null` means the
 * tool did not report the value, never 0.
 */
export const GpuMetrics = Schema.Struct({
  index: NonNegativeInt,
  uuid: Schema.NullOr(Schema.String),
  name: Schema.String,
  vram_total_gb: NonNegative,
  vram_used_gb: NonNegative,
  vram_available_gb: NonNegative,
  utilization_percent: Schema.NullOr(Percent),
  temperature_c: Schema.NullOr(Schema.Finite)
}).check(
  Schema.makeFilter((gpu) =>
    gpu.vram_available_gb <= gpu.vram_total_gb
      ? undefined
      : {
          path: ["vram_available_gb"],
          issue: `expected at most vram_total_gb (${gpu.vram_total_gb}), got ${gpu.vram_available_gb}`
        }
  )
);

/** Figures for one GPU. */
export type GpuMetrics = typeof GpuMetrics.Type;

/**
 * The machine's measurements (`resources` of a heartbeat). Load averages are
 * the OS's 1/5/15-minute figures, not an instantaneous percentage;
 * `gpu_vram_*` are sums over `gpus` (0 when there are none).
 */
export const ResourceMetrics = Schema.Struct({
  cpu_load_1min: NonNegative,
  cpu_load_5min: NonNegative,
  cpu_load_15min: NonNegative,
  cpu_cores_total: PositiveInt,
  cpu_cores_available: NonNegative,
  memory_total_gb: NonNegative,
  memory_available_gb: NonNegative,
  memory_percent: Percent,
  gpu_type: GpuType,
  gpu_count: NonNegativeInt,
  gpu_vram_total_gb: NonNegative,
  gpu_vram_available_gb: NonNegative,
  gpus: Schema.Array(GpuMetrics),
  collected_at: IsoUtc,
  collection_errors: Schema.Array(CollectionError)
}).check(
  Schema.makeFilter((metrics) => {
    const issues: Array<Schema.FilterIssue> = [];
    if (metrics.memory_available_gb > metrics.memory_total_gb) {
      issues.push({
        path: ["memory_available_gb"],
        issue: `expected at most memory_total_gb (${metrics.memory_total_gb}), got ${metrics.memory_available_gb}`
      });
    }
    if (metrics.gpu_vram_available_gb > metrics.gpu_vram_total_gb) {
      issues.push({
        path: ["gpu_vram_available_gb"],
        issue: `expected at most gpu_vram_total_gb (${metrics.gpu_vram_total_gb}), got ${metrics.gpu_vram_available_gb}`
      });
    }
    return issues;
  })
);

/** A machine's measurements as carried in a heartbeat. */
export type ResourceMetrics = typeof ResourceMetrics.Type;
