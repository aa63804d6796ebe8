import { type Decoder, dictionary, field, literal, nullable, number, object, string, withDefault } from "./decodeKit.ts";
import { GPU_TYPES, type QueuedWork, type Requirements, type Work, type WorkResult, WORK_STATES } from "./types.ts";

const decodeRequirements: Decoder<Requirements> = (value, path) => {
  if (value === null || value === undefined) return {};
  const o = object(value, path);
  const min_vram_gb = field(o, "min_vram_gb", nullable(number), path);
  const min_cores = field(o, "min_cores", nullable(number), path);
  const min_memory_gb = field(o, "min_memory_gb", nullable(number), path);
  const gpu_type = field(o, "gpu_type", nullable(literal(GPU_TYPES)), path);
  // exactOptionalPropertyTypes: leave a key out rather than set it to undefined.
  return {
    ...(min_vram_gb === null ? {} : { min_vram_gb }),
    ...(min_cores === null ? {} : { min_cores }),
    ...(min_memory_gb === null ? {} : { min_memory_gb }),
    ...(gpu_type === null ? {} : { gpu_type })
  };
};

const decodeResult: Decoder<WorkResult> = (value, path) => {
  const o = object(value, path);
  return {
    status: field(o, "status", withDefault(string, ""), path),
    exit_code: field(o, "exit_code", nullable(number), path),
    output: field(o, "output", nullable(string), path),
    error: field(o, "error", nullable(string), path),
    started_at: field(o, "started_at", nullable(string), path),
    finished_at: field(o, "finished_at", nullable(string), path)
  };
};

const decodeAllocation: Decoder<Work["allocation"]> = (value, path) => {
  if (value === null || value === undefined) return null;
  const o = object(value, path);
  return {
    vram_gb: field(o, "vram_gb", withDefault(number, 0), path),
    cores: field(o, "cores", withDefault(number, 0), path),
    memory_gb: field(o, "memory_gb", withDefault(number, 0), path)
  };
};

const time = nullable(string);

export const decodeWork: Decoder<Work> = (value, path) => {
  const o = object(value, path);
  return {
    work_id: field(o, "work_id", string, path),
    kind: field(o, "kind", string, path),
    params: field(o, "params", withDefault(dictionary(string), {}), path),
    requirements: field(o, "requirements", decodeRequirements, path),
    timeout_seconds: field(o, "timeout_seconds", nullable(number), path),
    agent_id: field(o, "agent_id", nullable(string), path),
    gpu_index: field(o, "gpu_index", nullable(number), path),
    allocation: field(o, "allocation", decodeAllocation, path),
    state: field(o, "state", literal(WORK_STATES), path),
    priority: field(o, "priority", withDefault(number, 0), path),
    submit_order: field(o, "submit_order", nullable(number), path),
    result: field(o, "result", nullable(decodeResult), path),
    reason: field(o, "reason", nullable(string), path),
    created_at: field(o, "created_at", time, path),
    dispatched_at: field(o, "dispatched_at", time, path),
    started_at: field(o, "started_at", time, path),
    finished_at: field(o, "finished_at", time, path),
    updated_at: field(o, "updated_at", time, path),
    queue_expires_at: field(o, "queue_expires_at", time, path),
    waiting_reason: field(o, "waiting_reason", nullable(string), path)
  };
};

export const decodeQueuedWork: Decoder<QueuedWork> = (value, path) => {
  const work = decodeWork(value, path);
  const o = object(value, path);
  return { ...work, position: field(o, "position", number, path) };
};
