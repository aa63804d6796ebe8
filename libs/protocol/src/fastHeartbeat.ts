import { PROTOCOL_VERSION } from "./constants.ts";
import type { MessageOf } from "./Envelope.ts";
import { AGENT_ID_PATTERN, isIsoUtc, MAX_HEARTBEAT_STRING, MIN_WIRE_YEAR, TASK_KIND_PATTERN } from "./fields.ts";
import { type GpuMetrics, gpuListIssues, MAX_GPU_INDEX, MAX_GPUS, type ResourceMetrics } from "./ResourceMetrics.ts";
import { MAX_CAPABILITIES, MAX_CURRENT_WORK, type StatusUpdate } from "./StatusUpdate.ts";
import { unstorableText } from "./text.ts";
import type { WorkRequirements } from "./WorkRequest.ts";

// The heartbeat is nearly every message the orchestrator reads (thousands a
// second in a large fleet), and decoding it through the Schema (which builds
// an issue tree, a parse state and intermediate objects per field) took about
// a fifth of the orchestrator's CPU per heartbeat. This is the same check
// written out for the one hot type: it reads the parsed JSON once and copies
// only the known fields, as the Schema's decode does (unknown fields dropped,
// `null` optionals made absent).
//
// It only ever says yes or "not sure": any value it does not accept — an
// invalid one, or a valid one it does not handle (a GPU inventory) — goes to
// the Schema, which decides and writes the error. Every check here is the
// Schema's own or stricter, so it never accepts what the Schema would refuse;
// test/decode.fast.test.ts checks both answers agree on generated messages.

/** A message the fast path does not decide. */
const UNDECIDED = undefined;

// Effect's Schema.isUUID pattern (effect/SchemaCheck), any version.
const UUID = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|[fF]{8}-[fF]{4}-[fF]{4}-[fF]{4}-[fF]{12})$/;
const SHORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const AGENT_STATUSES: ReadonlyArray<unknown> = ["online", "busy", "draining"];
const GPU_TYPES: ReadonlyArray<unknown> = ["nvidia", "amd", "intel", "none"];

type Json = Readonly<Record<string, unknown>>;

/** A plain JSON object (not an array, not null). */
const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

const isFinite = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isNonNegative = (value: unknown): value is number => isFinite(value) && value >= 0;
// Schema.isInt is Number.isSafeInteger.
const isNonNegativeInt = (value: unknown): value is number => isNonNegative(value) && Number.isSafeInteger(value);
const isPercent = (value: unknown): value is number => isFinite(value) && value >= 0 && value <= 100;

/** A string PostgreSQL can store (what findUnstorableText checks of every kept string). */
const isStorable = (value: string): boolean => unstorableText(value) === undefined;
const isShortText = (value: unknown): value is string => typeof value === "string" && value.length <= MAX_HEARTBEAT_STRING && isStorable(value);
const matches = (pattern: RegExp, value: unknown): value is string => typeof value === "string" && pattern.test(value);
const isUuid = (value: unknown): value is string => matches(UUID, value);
const isWireTime = (value: unknown): value is string =>
  typeof value === "string" && isIsoUtc(value) && Number(value.slice(0, 4)) >= MIN_WIRE_YEAR;

/** `optionalOrNull`: absent and null both decode as absent (false: present but invalid). */
const optional = <A>(value: unknown, check: (v: unknown) => v is A): value is A | null | undefined =>
  value === undefined || value === null || check(value);

const gpuOf = (value: unknown): GpuMetrics | undefined => {
  if (!isRecord(value)) return UNDECIDED;
  const { index, uuid, name, vram_total_gb, vram_used_gb, vram_available_gb, utilization_percent, temperature_c } = value;
  if (!isNonNegativeInt(index) || index > MAX_GPU_INDEX) return UNDECIDED;
  if (!(uuid === null || isShortText(uuid)) || !isShortText(name)) return UNDECIDED;
  if (!isNonNegative(vram_total_gb) || !isNonNegative(vram_used_gb) || !isNonNegative(vram_available_gb)) return UNDECIDED;
  if (!(utilization_percent === null || isPercent(utilization_percent))) return UNDECIDED;
  if (!(temperature_c === null || isFinite(temperature_c))) return UNDECIDED;
  if (vram_available_gb > vram_total_gb) return UNDECIDED;
  return { index, uuid, name, vram_total_gb, vram_used_gb, vram_available_gb, utilization_percent, temperature_c };
};

const collectionErrorOf = (value: unknown): { readonly source: string; readonly message: string } | undefined =>
  isRecord(value) && isShortText(value["source"]) && isShortText(value["message"])
    ? { source: value["source"], message: value["message"] }
    : UNDECIDED;

/** Each element through `decode`; undefined if the value is not an array of at most `max` elements that all decode. */
const arrayOf = <A>(value: unknown, max: number, decode: (element: unknown) => A | undefined): Array<A> | undefined => {
  if (!Array.isArray(value) || value.length > max) return UNDECIDED;
  const out = new Array<A>(value.length);
  for (let i = 0; i < value.length; i++) {
    const decoded = decode(value[i]);
    if (decoded === undefined) return UNDECIDED;
    out[i] = decoded;
  }
  return out;
};

const taskKindOf = (value: unknown): string | undefined => (matches(TASK_KIND_PATTERN, value) ? value : UNDECIDED);
const workIdOf = (value: unknown): string | undefined =>
  typeof value === "string" && value.length >= 1 && value.length <= 256 && isStorable(value) ? value : UNDECIDED;

const resourcesOf = (value: unknown): ResourceMetrics | undefined => {
  if (!isRecord(value)) return UNDECIDED;
  const r = value;
  const { cpu_load_1min, cpu_load_5min, cpu_load_15min, cpu_cores_total, cpu_cores_available } = r;
  const { memory_total_gb, memory_available_gb, memory_percent, gpu_type, gpu_count, gpu_vram_total_gb, gpu_vram_available_gb, collected_at } = r;
  if (!isNonNegative(cpu_load_1min) || !isNonNegative(cpu_load_5min) || !isNonNegative(cpu_load_15min)) return UNDECIDED;
  if (!isNonNegativeInt(cpu_cores_total) || cpu_cores_total < 1 || !isNonNegative(cpu_cores_available)) return UNDECIDED;
  if (!isNonNegative(memory_total_gb) || !isNonNegative(memory_available_gb) || !isPercent(memory_percent)) return UNDECIDED;
  if (!GPU_TYPES.includes(gpu_type) || !isNonNegativeInt(gpu_count)) return UNDECIDED;
  if (!isNonNegative(gpu_vram_total_gb) || !isNonNegative(gpu_vram_available_gb) || !isWireTime(collected_at)) return UNDECIDED;
  const gpus = arrayOf(r["gpus"], MAX_GPUS, gpuOf);
  const collection_errors = arrayOf(r["collection_errors"], MAX_GPUS + 16, collectionErrorOf);
  if (gpus === undefined || collection_errors === undefined) return UNDECIDED;
  const metrics: ResourceMetrics = {
    cpu_load_1min,
    cpu_load_5min,
    cpu_load_15min,
    cpu_cores_total,
    cpu_cores_available,
    memory_total_gb,
    memory_available_gb,
    memory_percent,
    gpu_type: gpu_type as ResourceMetrics["gpu_type"],
    gpu_count,
    gpu_vram_total_gb,
    gpu_vram_available_gb,
    gpus,
    collected_at,
    collection_errors
  };
  if (memory_available_gb > memory_total_gb || gpu_vram_available_gb > gpu_vram_total_gb) return UNDECIDED;
  return gpuListIssues(metrics).length === 0 ? metrics : UNDECIDED;
};

const requirementsOf = (value: unknown): WorkRequirements | undefined => {
  if (!isRecord(value)) return UNDECIDED;
  const { min_vram_gb, min_cores, min_memory_gb, gpu_type } = value;
  if (!optional(min_vram_gb, isNonNegative) || !optional(min_cores, isNonNegative) || !optional(min_memory_gb, isNonNegative)) return UNDECIDED;
  if (!(gpu_type === undefined || gpu_type === null || GPU_TYPES.includes(gpu_type))) return UNDECIDED;
  return {
    ...(min_vram_gb == null ? {} : { min_vram_gb }),
    ...(min_cores == null ? {} : { min_cores }),
    ...(min_memory_gb == null ? {} : { min_memory_gb }),
    ...(gpu_type == null ? {} : { gpu_type: gpu_type as NonNullable<WorkRequirements["gpu_type"]> })
  };
};

/** `task_requires`: kinds to requirements; a key the Schema would treat specially (`__proto__`) is left to it. */
const taskRequiresOf = (value: unknown): Record<string, WorkRequirements> | undefined => {
  if (!isRecord(value)) return UNDECIDED;
  const kinds = Object.keys(value);
  if (kinds.length > MAX_CAPABILITIES) return UNDECIDED;
  const out: Record<string, WorkRequirements> = {};
  for (const kind of kinds) {
    if (kind === "__proto__" || !TASK_KIND_PATTERN.test(kind)) return UNDECIDED;
    const requirements = requirementsOf(value[kind]);
    if (requirements === undefined) return UNDECIDED;
    out[kind] = requirements;
  }
  return out;
};

const statusUpdateOf = (value: unknown): StatusUpdate | undefined => {
  if (!isRecord(value)) return UNDECIDED;
  const p = value;
  const { agent_id, agent_type, pool_name, status, boot_id, boot_started_at, seq, max_concurrent_work, task_requires, gpu_inventory } = p;
  // A GPU inventory rides in one heartbeat in ten minutes: the Schema decodes it.
  if (gpu_inventory !== undefined && gpu_inventory !== null) return UNDECIDED;
  if (!matches(AGENT_ID_PATTERN, agent_id) || !matches(SHORT_NAME, agent_type) || !optional(pool_name, (v): v is string => matches(SHORT_NAME, v))) return UNDECIDED;
  if (!AGENT_STATUSES.includes(status) || !isUuid(boot_id) || !optional(boot_started_at, isWireTime) || !isNonNegativeInt(seq)) return UNDECIDED;
  if (!optional(max_concurrent_work, (v): v is number => isNonNegativeInt(v) && v >= 1 && v <= 1024)) return UNDECIDED;
  const capabilities = arrayOf(p["capabilities"], MAX_CAPABILITIES, taskKindOf);
  const current_work = arrayOf(p["current_work"], MAX_CURRENT_WORK, workIdOf);
  const resources = resourcesOf(p["resources"]);
  if (capabilities === undefined || current_work === undefined || resources === undefined) return UNDECIDED;
  const requires = task_requires === undefined || task_requires === null ? null : taskRequiresOf(task_requires);
  if (requires === undefined) return UNDECIDED;
  return {
    agent_id: agent_id as StatusUpdate["agent_id"],
    agent_type,
    ...(pool_name == null ? {} : { pool_name }),
    status: status as StatusUpdate["status"],
    boot_id,
    ...(boot_started_at == null ? {} : { boot_started_at }),
    seq,
    capabilities,
    resources,
    current_work,
    ...(max_concurrent_work == null ? {} : { max_concurrent_work }),
    ...(requires === null ? {} : { task_requires: requires })
  };
};

/**
 * A parsed `work_status` message decoded without the Schema, when it is
 * valid and of the common shape; undefined when the Schema must decide
 * (invalid, or carrying a GPU inventory). Does not check that the sender is
 * the payload's agent (decode.ts does, for both paths).
 */
export const decodeHeartbeatFast = (value: Json): MessageOf<"work_status"> | undefined => {
  const { message_id, type, version, sent_at, sender, correlation_id } = value;
  if (type !== "work_status" || version !== PROTOCOL_VERSION || !isUuid(message_id) || !isWireTime(sent_at)) return UNDECIDED;
  if (!matches(AGENT_ID_PATTERN, sender) || !optional(correlation_id, (v): v is string => typeof v === "string" && isStorable(v))) return UNDECIDED;
  const payload = statusUpdateOf(value["payload"]);
  if (payload === undefined) return UNDECIDED;
  return {
    message_id,
    type,
    version,
    sent_at,
    sender: sender as StatusUpdate["agent_id"],
    ...(correlation_id == null ? {} : { correlation_id }),
    payload
  };
};
