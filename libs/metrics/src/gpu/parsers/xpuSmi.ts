import { Result, Schema } from "effect";
import type { GpuReading } from "../GpuReading.ts";
import { GpuDriverError, GpuOutputError, type GpuParseError } from "./errors.ts";
import { parseNumberStrict, textOrNull } from "./placeholders.ts";
import { BYTES_PER_MIB, vramGb } from "./vram.ts";

/** The name a reading carries when xpu-smi reports none (always so for `stats`). */
export const INTEL_UNNAMED = "Intel GPU";

const outputError = (message: string) => new GpuOutputError({ tool: "xpu-smi", message });

const JsonObject = Schema.Record(Schema.String, Schema.Unknown);
type JsonObject = typeof JsonObject.Type;
const isJsonObject = Schema.is(JsonObject);

// xpu-smi prints device ids as JSON numbers.
const DeviceId = Schema.Int;

const Discovery = Schema.Union([
  // `xpu-smi discovery -j`
  Schema.Struct({ device_list: Schema.Array(JsonObject) }),
  // `xpu-smi discovery -d <id> -j`: one device's properties at the top level
  Schema.Struct({ device_id: DeviceId })
]);

const Metric = Schema.Struct({
  metrics_type: Schema.String,
  value: Schema.optionalKey(Schema.Unknown),
  avg: Schema.optionalKey(Schema.Unknown)
});
type Metric = typeof Metric.Type;

const Stats = Schema.Struct({
  device_id: DeviceId,
  device_level: Schema.optionalKey(Schema.Array(Metric)),
  tile_level: Schema.optionalKey(
    Schema.Array(Schema.Struct({ data_list: Schema.optionalKey(Schema.Array(Metric)) }))
  )
});

/**
 * JSON from xpu-smi, or the failure it reported: with `-j` it reports errors
 * as `{"error": "...", "errno": N}` (e.g. "Level Zero Initialization Error"
 * when the driver is not loaded).
 */
const readJson = (text: string): Result.Result<unknown, GpuParseError> => {
  const trimmed = text.trim();
  if (trimmed === "") return Result.fail(outputError("xpu-smi printed nothing"));
  const json = Result.try({ try: (): unknown => JSON.parse(trimmed), catch: (cause) => cause });
  if (Result.isFailure(json)) {
    if (/level zero initialization error/i.test(trimmed)) {
      return Result.fail(new GpuDriverError({ tool: "xpu-smi", message: trimmed }));
    }
    const why = json.failure instanceof Error ? json.failure.message : String(json.failure);
    return Result.fail(outputError(`xpu-smi output is not JSON (${why}): ${trimmed.slice(0, 200)}`));
  }
  const reported = isJsonObject(json.success) ? json.success["error"] : undefined;
  if (typeof reported === "string") {
    return Result.fail(new GpuDriverError({ tool: "xpu-smi", message: reported.trim() }));
  }
  return Result.succeed(json.success);
};

const decodeWith =
  <S extends Schema.ConstraintDecoder<unknown>>(schema: S, what: string) =>
  (json: unknown): Result.Result<S["Type"], GpuOutputError> =>
    Result.mapError(Schema.decodeUnknownResult(schema)(json), (error) =>
      outputError(`not ${what} output: ${error.message}`)
    );

const readDevice = (device: JsonObject, position: number): Result.Result<GpuReading, GpuOutputError> =>
  Result.gen(function* () {
    const where = `device_list[${position}]`;
    const id = yield* Result.mapError(Schema.decodeUnknownResult(DeviceId)(device["device_id"]), () =>
      outputError(`${where}: device_id ${JSON.stringify(device["device_id"])} is not a device number`)
    );
    const bytes = (key: string) =>
      Result.mapError(parseNumberStrict(device[key]), (why) => outputError(`device ${id}, ${key}: ${why}`));
    // Only `discovery -d <id> -j` prints memory sizes; the device list has none.
    const total = yield* bytes("memory_physical_size_byte");
    const free = yield* bytes("memory_free_size_byte");
    const used = total !== null && free !== null ? Math.max(0, total - free) : null;
    return {
      index: id,
      uuid: textOrNull(device["uuid"]),
      name: textOrNull(device["device_name"]) ?? INTEL_UNNAMED,
      ...vramGb({ total, used, free }, 1),
      // discovery reports neither; `xpu-smi stats` does.
      utilization_percent: null,
      temperature_c: null
    };
  });

/**
 * Reads `xpu-smi discovery -j` (its `device_list`) or `xpu-smi discovery -d
 * <id> -j` (one device): index = device_id, sorted. The list carries no
 * memory, utilization or temperature, so those are null; the single-device
 * form fills VRAM from `memory_physical_size_byte` / `memory_free_size_byte`.
 */
export const parseXpuSmiDiscoveryJson = (text: string): Result.Result<ReadonlyArray<GpuReading>, GpuParseError> =>
  Result.gen(function* () {
    const json = yield* readJson(text);
    const discovery = yield* decodeWith(Discovery, "xpu-smi discovery -j")(json);
    const devices = "device_list" in discovery ? discovery.device_list : isJsonObject(json) ? [json] : [];
    const readings = yield* Result.all(devices.map(readDevice));
    return [...readings].sort((a, b) => a.index - b.index);
  });

const metricValue = (metric: Metric): number | null => {
  const value = metric.value ?? metric.avg;
  return typeof value === "number" && Number.isFinite(value) ? value : null;
};

/** The device-level figure, else one combined from the tiles' figures (where only tiles report it). */
const figure = (
  stats: typeof Stats.Type,
  type: string,
  combine: (values: ReadonlyArray<number>) => number
): number | null => {
  const device = stats.device_level?.find((metric) => metric.metrics_type === type);
  if (device !== undefined) return metricValue(device);
  const tiles = (stats.tile_level ?? []).flatMap((tile) =>
    (tile.data_list ?? []).flatMap((metric) => {
      const value = metric.metrics_type === type ? metricValue(metric) : null;
      return value === null ? [] : [value];
    })
  );
  return tiles.length === 0 ? null : combine(tiles);
};

const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0);

/**
 * Reads `xpu-smi stats -d <id> -j`: one reading for that device with
 * XPUM_STATS_MEMORY_USED (MiB), XPUM_STATS_GPU_UTILIZATION (%) and
 * XPUM_STATS_GPU_CORE_TEMPERATURE (°C); a figure only tiles report is summed
 * (memory), averaged (utilization) or maxed (temperature) over them. Stats
 * name no device and no total, so name is a stand-in and total/available are
 * null: merge it with the discovery reading of the same index.
 */
export const parseXpuSmiStatsJson = (text: string): Result.Result<ReadonlyArray<GpuReading>, GpuParseError> =>
  Result.gen(function* () {
    const json = yield* readJson(text);
    const stats = yield* decodeWith(Stats, "xpu-smi stats -j")(json);
    const used = figure(stats, "XPUM_STATS_MEMORY_USED", sum);
    return [
      {
        index: stats.device_id,
        uuid: null,
        name: INTEL_UNNAMED,
        ...vramGb({ total: null, used, free: null }, BYTES_PER_MIB),
        utilization_percent: figure(stats, "XPUM_STATS_GPU_UTILIZATION", (v) => sum(v) / v.length),
        temperature_c: figure(stats, "XPUM_STATS_GPU_CORE_TEMPERATURE", (v) => Math.max(...v))
      }
    ];
  });
