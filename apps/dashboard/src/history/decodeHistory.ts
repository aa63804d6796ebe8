import { DecodeError, type Decoder, eachOf, isRecord, object } from "../api/decodeKit.ts";

export interface HistoryGpu {
  readonly index: number;
  readonly name: string | null;
  readonly vram_used_gb: number | null;
  readonly vram_available_gb: number | null;
  readonly utilization_percent: number | null;
}

export interface HistoryPoint {
  /** Unix seconds (uPlot's x). */
  readonly at: number;
  readonly cpu_load_1min: number | null;
  readonly cpu_cores_total: number | null;
  readonly memory_available_gb: number | null;
  readonly memory_total_gb: number | null;
  readonly gpus: ReadonlyArray<HistoryGpu>;
}

export interface History {
  readonly points: ReadonlyArray<HistoryPoint>;
  readonly problems: ReadonlyArray<string>;
}

// The history endpoint was written alongside this page, so its decoder takes
// the likely spellings: a bare array or {points|samples|history: [...]}; the
// time as `at` (or t, time, collected_at, recorded_at, received_at), ISO or
// epoch; the figures flat on the point or under `resource_metrics`.
const LIST_KEYS = ["points", "samples", "history", "heartbeats"] as const;
const TIME_KEYS = ["at", "t", "time", "timestamp", "collected_at", "recorded_at", "received_at", "last_heartbeat_at"] as const;

const figure = (o: Record<string, unknown>, key: string): number | null => {
  const v = o[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
};

const epochSeconds = (v: unknown): number | null => {
  if (typeof v === "string") {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  if (typeof v === "number" && Number.isFinite(v)) return v > 1e11 ? v / 1000 : v;
  return null;
};

const decodeGpu: Decoder<HistoryGpu> = (value, path) => {
  const o = object(value, path);
  const index = figure(o, "index");
  if (index === null) throw new DecodeError(`${path}.index`, "a number");
  return {
    index,
    name: typeof o["name"] === "string" ? o["name"] : null,
    vram_used_gb: figure(o, "vram_used_gb"),
    vram_available_gb: figure(o, "vram_available_gb"),
    utilization_percent: figure(o, "utilization_percent")
  };
};

const decodePoint: Decoder<HistoryPoint> = (value, path) => {
  const o = object(value, path);
  let at: number | null = null;
  for (const key of TIME_KEYS) {
    at = epochSeconds(o[key]);
    if (at !== null) break;
  }
  if (at === null) throw new DecodeError(path, `a time (${TIME_KEYS.join(", ")})`);
  const m = isRecord(o["resource_metrics"]) ? o["resource_metrics"] : o;
  const gpus = m["gpus"] === undefined || m["gpus"] === null ? [] : eachOf(decodeGpu, m["gpus"], `${path}.gpus`).items;
  return {
    at,
    cpu_load_1min: figure(m, "cpu_load_1min"),
    cpu_cores_total: figure(m, "cpu_cores_total"),
    memory_available_gb: figure(m, "memory_available_gb"),
    memory_total_gb: figure(m, "memory_total_gb"),
    gpus
  };
};

/** The history answer, its points oldest first; malformed points are dropped and counted. */
export const decodeHistory: Decoder<History> = (value, path) => {
  let list: unknown = value;
  if (!Array.isArray(value)) {
    const o = object(value, path);
    const key = LIST_KEYS.find((k) => Array.isArray(o[k]));
    if (key === undefined) throw new DecodeError(path, `a list of points (${LIST_KEYS.join(", ")})`);
    list = o[key];
  }
  const { items, errors } = eachOf(decodePoint, list, `${path}points`);
  return { points: [...items].sort((a, b) => a.at - b.at), problems: errors };
};
