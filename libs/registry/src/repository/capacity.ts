import { type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { AgentStatus, GpuType } from "@homelab/protocol";
import type { CapacityAnswer, CapacityFilter } from "../Services/AgentRegistry.ts";
import { activeWork } from "./work.ts";

/**
 * Online agents matching every filter, with what is free on each now: what
 * its last heartbeat reported minus what work still active there booked
 * (SPEC §5, the router's own rule), never below 0, and those bookings shown
 * beside. VRAM per GPU: `best_gpu_vram_available_gb` is the most free on one
 * card after that card's bookings; filters compare with these figures. Most
 * free single-GPU VRAM first, then by agent_id.
 */
export const capacityStatement = (filter: CapacityFilter): SQL => sql`
with ${activeWork},
figures as (
  select r.agent_id, r.pool_name, r.reported_status, r.gpu_type,
    (r.resource_metrics ->> 'gpu_count')::float8 as gpu_count,
    coalesce(g.best, 0) as best_gpu_vram_available_gb,
    coalesce(g.total, 0) as vram_available_gb,
    greatest(0, r.cores_available - coalesce(p.cores, 0)) as cores_available,
    greatest(0, r.memory_available_gb - coalesce(p.memory, 0)) as memory_available_gb,
    json_build_object('vram_gb', coalesce(p.vram, 0), 'cores', coalesce(p.cores, 0), 'memory_gb', coalesce(p.memory, 0)) as booked,
    (r.reported_status = 'draining' or r.drained) as draining,
    r.capabilities,
    to_char(r.last_heartbeat_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_heartbeat_at
  from agent_registry r
  left join per_agent p on p.agent_id = r.agent_id
  left join lateral (
    select max(free) as best, sum(free) as total from (
      select greatest(0, (x ->> 'vram_available_gb')::float8 - coalesce(a.vram, 0)) as free
      from jsonb_array_elements(r.resource_metrics -> 'gpus') x
      left join active a on a.agent_id = r.agent_id and a.gpu_index = (x ->> 'index')::int
    ) f
  ) g on true
  where r.status = 'online'
    ${filter.gpu_type === undefined ? sql`` : sql`and r.gpu_type = ${filter.gpu_type}::text`}
    ${filter.pool === undefined ? sql`` : sql`and r.pool_name = ${filter.pool}::text`}
)
select * from figures
where true
  ${filter.min_vram_gb === undefined ? sql`` : sql`and best_gpu_vram_available_gb >= ${filter.min_vram_gb}::float8`}
  ${filter.min_cores === undefined ? sql`` : sql`and cores_available >= ${filter.min_cores}::float8`}
  ${filter.min_memory_gb === undefined ? sql`` : sql`and memory_available_gb >= ${filter.min_memory_gb}::float8`}
order by best_gpu_vram_available_gb desc, agent_id`;

const Booked = Schema.Struct({ vram_gb: Schema.Finite, cores: Schema.Finite, memory_gb: Schema.Finite });

export const CapacityRow = Schema.Struct({
  agent_id: Schema.String,
  pool_name: Schema.String,
  reported_status: AgentStatus,
  gpu_type: GpuType,
  gpu_count: Schema.Finite,
  best_gpu_vram_available_gb: Schema.Finite,
  vram_available_gb: Schema.Finite,
  cores_available: Schema.Finite,
  memory_available_gb: Schema.Finite,
  booked: Booked,
  draining: Schema.Boolean,
  capabilities: Schema.Array(Schema.String),
  last_heartbeat_at: Schema.String
});

// Sums of GB figures reported to two decimals: keep the sum free of float noise.
const round = (x: number): number => Math.round(x * 1000) / 1000;

export const withTotals = (agents: CapacityAnswer["agents"], queued: number): CapacityAnswer => ({
  agents,
  totals: {
    agents: agents.length,
    vram_available_gb: round(agents.reduce((sum, a) => sum + a.vram_available_gb, 0)),
    cores_available: round(agents.reduce((sum, a) => sum + a.cores_available, 0)),
    memory_available_gb: round(agents.reduce((sum, a) => sum + a.memory_available_gb, 0)),
    booked: {
      vram_gb: round(agents.reduce((sum, a) => sum + a.booked.vram_gb, 0)),
      cores: round(agents.reduce((sum, a) => sum + a.booked.cores, 0)),
      memory_gb: round(agents.reduce((sum, a) => sum + a.booked.memory_gb, 0))
    }
  },
  queued
});
