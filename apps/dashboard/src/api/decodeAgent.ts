import {
  array,
  boolean,
  type Decoder,
  field,
  literal,
  nullable,
  number,
  object,
  string,
  withDefault
} from "./decodeKit.ts";
import { type Agent, type Booking, type Gpu, GPU_TYPES, type ResourceMetrics } from "./types.ts";

export const decodeGpu: Decoder<Gpu> = (value, path) => {
  const o = object(value, path);
  return {
    index: field(o, "index", number, path),
    uuid: field(o, "uuid", nullable(string), path),
    name: field(o, "name", withDefault(string, "GPU"), path),
    vram_total_gb: field(o, "vram_total_gb", number, path),
    vram_used_gb: field(o, "vram_used_gb", number, path),
    vram_available_gb: field(o, "vram_available_gb", number, path),
    utilization_percent: field(o, "utilization_percent", nullable(number), path),
    temperature_c: field(o, "temperature_c", nullable(number), path)
  };
};

const collectionError: Decoder<{ source: string; message: string }> = (value, path) => {
  const o = object(value, path);
  return { source: field(o, "source", string, path), message: field(o, "message", string, path) };
};

export const decodeResourceMetrics: Decoder<ResourceMetrics> = (value, path) => {
  const o = object(value, path);
  const gpus = field(o, "gpus", withDefault(array(decodeGpu), []), path);
  // Figures the page only summarises may be left out by an older agent; the ones it draws may not.
  return {
    cpu_load_1min: field(o, "cpu_load_1min", number, path),
    cpu_load_5min: field(o, "cpu_load_5min", withDefault(number, 0), path),
    cpu_load_15min: field(o, "cpu_load_15min", withDefault(number, 0), path),
    cpu_cores_total: field(o, "cpu_cores_total", number, path),
    cpu_cores_available: field(o, "cpu_cores_available", withDefault(number, 0), path),
    memory_total_gb: field(o, "memory_total_gb", number, path),
    memory_available_gb: field(o, "memory_available_gb", number, path),
    memory_percent: field(o, "memory_percent", withDefault(number, 0), path),
    gpu_type: field(o, "gpu_type", withDefault(literal(GPU_TYPES), "none"), path),
    gpu_count: field(o, "gpu_count", withDefault(number, gpus.length), path),
    gpu_vram_total_gb: field(o, "gpu_vram_total_gb", withDefault(number, 0), path),
    gpu_vram_available_gb: field(o, "gpu_vram_available_gb", withDefault(number, 0), path),
    gpus,
    collected_at: field(o, "collected_at", nullable(string), path),
    collection_errors: field(o, "collection_errors", withDefault(array(collectionError), []), path)
  };
};

export const decodeAgent: Decoder<Agent> = (value, path) => {
  const o = object(value, path);
  const agent_id = field(o, "agent_id", string, path);
  const reported_status = field(o, "reported_status", literal(["online", "busy", "draining"] as const), path);
  const drained = field(o, "drained", withDefault(boolean, false), path);
  return {
    agent_id,
    agent_type: field(o, "agent_type", withDefault(string, ""), path),
    pool_name: field(o, "pool_name", withDefault(string, ""), path),
    status: field(o, "status", literal(["online", "offline"] as const), path),
    reported_status,
    offline_reason: field(o, "offline_reason", nullable(string), path),
    capabilities: field(o, "capabilities", withDefault(array(string), []), path),
    resource_metrics: field(o, "resource_metrics", decodeResourceMetrics, path),
    last_heartbeat_at: field(o, "last_heartbeat_at", string, path),
    drained,
    // The API sends `draining`; if an older server does not, it means the same as this.
    draining: field(o, "draining", withDefault(boolean, reported_status === "draining" || drained), path),
    max_concurrent_work: field(o, "max_concurrent_work", nullable(number), path)
  };
};

export const decodeBooking: Decoder<Booking> = (value, path) => {
  const o = object(value, path);
  return {
    agent_id: field(o, "agent_id", string, path),
    gpu_index: field(o, "gpu_index", number, path),
    vram_gb: field(o, "vram_gb", number, path)
  };
};
