import { Schema } from "effect";
import { IsoUtc, NonNegative, NonNegativeInt, Percent, PositiveInt, ShortText } from "./fields.ts";

/** The GPU vendor backend that produced the figures; "none" when the machine has no usable GPU. */
export const GpuType = Schema.Literals(["nvidia", "amd", "intel", "none"]);

/** A GPU vendor backend name. */
export type GpuType = typeof GpuType.Type;

/** A metrics source that did not answer in time or failed; the heartbeat still goes out. */
export const CollectionError = Schema.Struct({
  source: ShortText,
  message: ShortText
});

/** A metrics source failure as carried in `collection_errors`. */
export type CollectionError = typeof CollectionError.Type;

/** The highest GPU index a heartbeat may carry (the registry reads it as an int). */
export const MAX_GPU_INDEX = 1023;
/** The most GPUs one heartbeat may list. */
export const MAX_GPUS = 64;
/** How far the `gpu_vram_*` sums may be from the per-GPU figures (GB): rounding, not disagreement. */
export const VRAM_SUM_TOLERANCE_GB = 0.01;

/**
 * One GPU (`resources.gpus[]`). Sizes are GB (MiB / 1024); `null` means the
 * tool did not report the value, never 0.
 */
export const GpuMetrics = Schema.Struct({
  index: NonNegativeInt.check(
    Schema.isLessThanOrEqualTo(MAX_GPU_INDEX, { expected: `an integer from 0 to ${MAX_GPU_INDEX}` })
  ),
  uuid: Schema.NullOr(ShortText),
  name: ShortText,
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
  gpus: Schema.Array(GpuMetrics).check(
    Schema.isMaxLength(MAX_GPUS, { expected: `at most ${MAX_GPUS} GPUs` })
  ),
  collected_at: IsoUtc,
  collection_errors: Schema.Array(CollectionError).check(
    Schema.isMaxLength(MAX_GPUS + 16, { expected: `at most ${MAX_GPUS + 16} collection errors` })
  )
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
    issues.push(...gpuListIssues(metrics));
    return issues;
  })
);

/** A machine's measurements as carried in a heartbeat. */
export type ResourceMetrics = typeof ResourceMetrics.Type;

const sum = (values: ReadonlyArray<number>): number => values.reduce((total, x) => total + x, 0);
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * The GPU list agrees with itself: `gpu_count` is its length, each index
 * appears once, and the `gpu_vram_*` sums are the per-GPU figures added up
 * (within {@link VRAM_SUM_TOLERANCE_GB}). The registry places work by GPU
 * index and shows the sums: a heartbeat that contradicts itself is refused,
 * not half believed.
 */
export const gpuListIssues = (metrics: {
  readonly gpu_count: number;
  readonly gpu_vram_total_gb: number;
  readonly gpu_vram_available_gb: number;
  readonly gpus: ReadonlyArray<GpuMetrics>;
}): Array<Schema.FilterIssue> => {
  const issues: Array<Schema.FilterIssue> = [];
  if (metrics.gpu_count !== metrics.gpus.length) {
    issues.push({
      path: ["gpu_count"],
      issue: `expected the number of entries in gpus (${metrics.gpus.length}), got ${metrics.gpu_count}`
    });
  }
  const seen = new Map<number, number>();
  metrics.gpus.forEach((gpu, position) => {
    const first = seen.get(gpu.index);
    if (first === undefined) seen.set(gpu.index, position);
    else issues.push({ path: ["gpus", position, "index"], issue: `expected a GPU index used once, got ${gpu.index} (also gpus[${first}])` });
  });
  const sums = [
    ["gpu_vram_total_gb", metrics.gpu_vram_total_gb, sum(metrics.gpus.map((g) => g.vram_total_gb))],
    ["gpu_vram_available_gb", metrics.gpu_vram_available_gb, sum(metrics.gpus.map((g) => g.vram_available_gb))]
  ] as const;
  for (const [field, stated, added] of sums) {
    // 1e-9: the float error of adding up decimal figures is not a disagreement.
    if (Math.abs(stated - added) > VRAM_SUM_TOLERANCE_GB + 1e-9) {
      issues.push({
        path: [field],
        issue: `expected the sum over gpus (${round3(added)}) within ${VRAM_SUM_TOLERANCE_GB} GB, got ${stated}`
      });
    }
  }
  return issues;
};
