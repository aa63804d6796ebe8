import { type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { AgentStatus } from "@homelab/protocol";
import { isoUtc, Liveness } from "./rows.ts";

// What a /metrics scrape reads of every agent, and nothing else: the figures
// the fleet series show, with only the GPUs out of resource_metrics. The
// database builds one JSON document (one value to parse instead of a row
// and a metrics document per agent), and it is decoded by a schema without
// the protocol's range checks: every figure was checked on the way in. With
// 1,000 agents × 4 GPUs this read is about half the cost of listAgents
// (tools/bench/scrape.ts).

const FleetGpu = Schema.Struct({
  index: Schema.Number,
  uuid: Schema.NullOr(Schema.String),
  name: Schema.String,
  vram_total_gb: Schema.Number,
  vram_used_gb: Schema.Number,
  vram_available_gb: Schema.Number,
  utilization_percent: Schema.NullOr(Schema.Number),
  temperature_c: Schema.NullOr(Schema.Number)
});

export const FleetAgent = Schema.Struct({
  agent_id: Schema.String,
  pool_name: Schema.String,
  status: Liveness,
  reported_status: AgentStatus,
  drained: Schema.Boolean,
  /** By the database's clock, like last_heartbeat_at itself. */
  heartbeat_age_seconds: Schema.Number,
  cpu_load_1min: Schema.Number,
  cpu_cores_total: Schema.Number,
  cpu_cores_available: Schema.Number,
  memory_total_gb: Schema.Number,
  memory_available_gb: Schema.Number,
  max_concurrent_work: Schema.NullOr(Schema.Number),
  gpu_type: Schema.String,
  gpus: Schema.Array(FleetGpu)
});

export const FleetRow = Schema.Struct({ fleet: Schema.Array(FleetAgent) });

export const fleetStatement: SQL = sql`
select coalesce(json_agg(json_build_object(
  'agent_id', r.agent_id,
  'pool_name', r.pool_name,
  'status', r.status,
  'reported_status', r.reported_status,
  'drained', r.drained,
  'heartbeat_age_seconds', greatest(0, extract(epoch from (now() - r.last_heartbeat_at)))::float8,
  'cpu_load_1min', r.resource_metrics -> 'cpu_load_1min',
  'cpu_cores_total', r.resource_metrics -> 'cpu_cores_total',
  'cpu_cores_available', r.cores_available,
  'memory_total_gb', r.resource_metrics -> 'memory_total_gb',
  'memory_available_gb', r.memory_available_gb,
  'max_concurrent_work', r.max_concurrent_work,
  'gpu_type', r.gpu_type,
  'gpus', r.resource_metrics -> 'gpus'
) order by r.agent_id), '[]'::json) as fleet
from agent_registry r`;

// What the live feed polls: who changed since a time, and a signature of what
// a page must show at once (everything but the figures and heartbeat time),
// built by the database so no agent's metrics are read or decoded.
export const AgentChangeRow = Schema.Struct({
  agent_id: Schema.String,
  updated_at: Schema.String,
  signature: Schema.String
});

export const agentChangesStatement = (since: string): SQL => sql`
select r.agent_id, ${isoUtc(sql`r.updated_at`)} as updated_at,
  concat_ws('|', r.status, r.reported_status, r.drained, coalesce(r.offline_reason, ''), r.pool_name,
    coalesce(r.max_concurrent_work::text, ''), r.capabilities::text) as signature
from agent_registry r
where r.updated_at >= ${since}::timestamptz
order by r.agent_id`;
