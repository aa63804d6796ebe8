import { and, asc, desc, eq, gte, type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { AgentStatus, GpuType } from "@homelab/protocol";
import type { CapacityAnswer, CapacityFilter } from "../AgentRegistry.ts";
import { agentRegistry } from "../schema.ts";
import { isoUtc } from "./rows.ts";

// Figures read straight out of resource_metrics (validated protocol data
// when it was written), so a capacity query never decodes whole metrics.
const metric = (field: string): SQL<number> =>
  sql<number>`(${agentRegistry.resourceMetrics} ->> ${sql.raw(`'${field}'`)})::float8`;

// The figures applyHeartbeats stores beside the metrics (migration 0002): plain columns.
/** Free VRAM of the agent's best single GPU (SPEC §5: requirements are per GPU); 0 with none. */
const bestGpuVram = sql<number>`coalesce(${agentRegistry.bestGpuVramGb}, 0)`;
const gpuType = agentRegistry.gpuType;
const cores = sql<number>`${agentRegistry.coresAvailable}`;
const memory = sql<number>`${agentRegistry.memoryAvailableGb}`;

export const capacityColumns = {
  agent_id: agentRegistry.agentId,
  pool_name: agentRegistry.poolName,
  reported_status: agentRegistry.reportedStatus,
  gpu_type: gpuType,
  gpu_count: metric("gpu_count"),
  best_gpu_vram_available_gb: bestGpuVram,
  vram_available_gb: metric("gpu_vram_available_gb"),
  cores_available: cores,
  memory_available_gb: memory,
  capabilities: agentRegistry.capabilities,
  last_heartbeat_at: isoUtc(agentRegistry.lastHeartbeatAt)
};

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
  capabilities: Schema.Array(Schema.String),
  last_heartbeat_at: Schema.String
});

/** Online agents matching every filter that is set. */
export const capacityWhere = (filter: CapacityFilter): SQL | undefined =>
  and(
    eq(agentRegistry.status, "online"),
    filter.min_vram_gb === undefined ? undefined : gte(bestGpuVram, filter.min_vram_gb),
    filter.min_cores === undefined ? undefined : gte(cores, filter.min_cores),
    filter.min_memory_gb === undefined ? undefined : gte(memory, filter.min_memory_gb),
    filter.gpu_type === undefined ? undefined : eq(gpuType, filter.gpu_type),
    filter.pool === undefined ? undefined : eq(agentRegistry.poolName, filter.pool)
  );

/** Most free single-GPU VRAM first, then by agent_id so equal agents keep a stable order. */
export const capacityOrder = [desc(bestGpuVram), asc(agentRegistry.agentId)] as const;

// Sums of GB figures reported to two decimals: keep the sum free of float noise.
const round = (x: number): number => Math.round(x * 1000) / 1000;

export const withTotals = (agents: CapacityAnswer["agents"]): CapacityAnswer => ({
  agents,
  totals: {
    agents: agents.length,
    vram_available_gb: round(agents.reduce((sum, a) => sum + a.vram_available_gb, 0)),
    cores_available: round(agents.reduce((sum, a) => sum + a.cores_available, 0)),
    memory_available_gb: round(agents.reduce((sum, a) => sum + a.memory_available_gb, 0))
  }
});
