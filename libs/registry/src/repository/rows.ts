import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { AgentStatus, GpuInventory, ResourceMetrics } from "@homelab/protocol";
import { agentRegistry } from "../schema.ts";

/**
 * A timestamptz as `2025-01-31T12:00:00.123Z`, formatted by the database so
 * both drivers (and any session TimeZone) give the same string.
 */
export const isoUtc = (column: AnyColumn | SQL): SQL<string> =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export const Liveness = Schema.Literals(["online", "offline"]);

/** An agent_registry row as AgentRecord; resource_metrics must still be valid protocol data. */
export const AgentRow = Schema.Struct({
  agent_id: Schema.String,
  agent_type: Schema.String,
  pool_name: Schema.String,
  status: Liveness,
  reported_status: AgentStatus,
  capabilities: Schema.Array(Schema.String),
  resource_metrics: ResourceMetrics,
  last_heartbeat_at: Schema.String,
  boot_id: Schema.String,
  last_seq: Schema.Finite,
  registered_at: Schema.String,
  updated_at: Schema.String,
  drained: Schema.Boolean,
  max_concurrent_work: Schema.NullOr(Schema.Finite),
  offline_reason: Schema.NullOr(Schema.String)
});

/** The select list that AgentRow decodes. */
export const agentColumns = {
  agent_id: agentRegistry.agentId,
  agent_type: agentRegistry.agentType,
  pool_name: agentRegistry.poolName,
  status: agentRegistry.status,
  reported_status: agentRegistry.reportedStatus,
  capabilities: agentRegistry.capabilities,
  resource_metrics: agentRegistry.resourceMetrics,
  last_heartbeat_at: isoUtc(agentRegistry.lastHeartbeatAt),
  boot_id: agentRegistry.bootId,
  last_seq: agentRegistry.lastSeq,
  registered_at: isoUtc(agentRegistry.registeredAt),
  updated_at: isoUtc(agentRegistry.updatedAt),
  drained: agentRegistry.drained,
  max_concurrent_work: agentRegistry.maxConcurrentWork,
  offline_reason: agentRegistry.offlineReason
};

/** One agent with its GPU inventory (`GET /agents/:id`); the list leaves the inventory out. */
export const AgentDetailRow = Schema.Struct({ ...AgentRow.fields, gpu_inventory: Schema.NullOr(GpuInventory) });

export const agentDetailColumns = { ...agentColumns, gpu_inventory: agentRegistry.gpuInventory };

export const TransitionRow = Schema.Struct({
  agent_id: Schema.String,
  from: Schema.NullOr(Liveness),
  to: Liveness,
  at: Schema.String,
  reason: Schema.String
});

/** `{ agent_id, from, to, at, reason }` as JSON, for statements that answer their transitions in one value. */
export const transitionJson = (alias: string): SQL =>
  sql.raw(
    `json_build_object('agent_id', ${alias}.agent_id, 'from', ${alias}.from_status, 'to', ${alias}.to_status, ` +
      `'at', to_char(${alias}.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'reason', ${alias}.reason)`
  );

export const Count = Schema.Struct({ count: Schema.Finite });
