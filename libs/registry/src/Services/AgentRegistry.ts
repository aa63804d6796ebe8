import { Context, type Effect, type Option } from "effect";
import type { AgentStatus, GpuInventory, GpuMetrics, GpuType, ResourceMetrics, StatusUpdate } from "@homelab/protocol";
import type { RegistryError } from "../errors.ts";

/** Liveness, decided by the orchestrator alone (SPEC §5). */
export type Liveness = "online" | "offline";

/** One agent as the registry holds it. Times are ISO-8601 UTC strings from the database clock. */
export interface AgentRecord {
  readonly agent_id: string;
  readonly agent_type: string;
  readonly pool_name: string;
  readonly status: Liveness;
  /** What the agent itself last said: online | busy | draining. */
  readonly reported_status: AgentStatus;
  readonly capabilities: ReadonlyArray<string>;
  readonly resource_metrics: ResourceMetrics;
  readonly last_heartbeat_at: string;
  readonly boot_id: string;
  readonly last_seq: number;
  readonly registered_at: string;
  readonly updated_at: string;
  /** Drained through the API (`POST /agents/:id/drain`): no new work until resumed. */
  readonly drained: boolean;
  /** How many jobs it runs at once, as its heartbeat says (null: it does not say). */
  readonly max_concurrent_work: number | null;
  /** While offline, why: "agent_shutdown" (it stopped cleanly) or the heartbeat timeout (unreachable); null while online. */
  readonly offline_reason: string | null;
}

/** One agent with the GPU inventory its current boot last sent (null: none, e.g. no NVIDIA GPU). */
export interface AgentDetail extends AgentRecord {
  readonly gpu_inventory: GpuInventory | null;
}

/** One agent as a `/metrics` scrape shows it: the figures of the fleet series, GPUs included. */
export interface FleetAgent {
  readonly agent_id: string;
  readonly pool_name: string;
  readonly status: Liveness;
  readonly reported_status: AgentStatus;
  readonly drained: boolean;
  /** Seconds since the last heartbeat, by the database's clock. */
  readonly heartbeat_age_seconds: number;
  readonly cpu_load_1min: number;
  readonly cpu_cores_total: number;
  readonly cpu_cores_available: number;
  readonly memory_total_gb: number;
  readonly memory_available_gb: number;
  readonly max_concurrent_work: number | null;
  readonly gpu_type: string;
  readonly gpus: ReadonlyArray<
    Pick<GpuMetrics, "index" | "uuid" | "name" | "vram_total_gb" | "vram_used_gb" | "vram_available_gb" | "utilization_percent" | "temperature_c">
  >;
}

/** A liveness change, as stored in `agent_status_transitions`. `from` is null on first registration. */
export interface StatusTransition {
  readonly agent_id: string;
  readonly from: Liveness | null;
  readonly to: Liveness;
  readonly at: string;
  readonly reason: string;
}

/** An agent gone offline, and the work that was lost with it. */
export interface OfflineTransition extends StatusTransition {
  readonly lost_work: ReadonlyArray<string>;
}

export interface ApplyResult {
  /** Heartbeats that changed a row (inserted or newer than what was stored). */
  readonly applied: number;
  /** Heartbeats not applied: older than the stored one (same boot_id, seq not greater), or superseded in the batch. */
  readonly ignored: number;
  readonly transitions: ReadonlyArray<StatusTransition>;
}

export interface AgentFilter {
  readonly status?: Liveness;
  readonly pool?: string;
  /** Changed at or after this time (ISO, the database clock): what the live page's event batches read. */
  readonly updatedSince?: string;
  /** Only these agents. */
  readonly ids?: ReadonlyArray<string>;
}

/**
 * An agent changed since a time, read without its figures: what the live
 * feed polls twice a second to decide whom to send now (tools/bench/dashboard.ts).
 */
export interface AgentChange {
  readonly agent_id: string;
  readonly updated_at: string;
  /**
   * What a page must show at once when it changes: liveness, the agent's own
   * status, drained, offline reason, pool, max_concurrent_work and kinds, as
   * one string. Equal signatures: only figures and the heartbeat time moved.
   */
  readonly signature: string;
}

/** One minute of an agent's history: its first heartbeat applied in that minute. */
export interface HistoryPoint {
  /** The minute (ISO, UTC). */
  readonly at: string;
  readonly cpu_load_1min: number;
  readonly cpu_cores_total: number;
  readonly memory_total_gb: number;
  readonly memory_available_gb: number;
  readonly gpus: ResourceMetrics["gpus"];
}

export interface CapacityFilter {
  /** Compared with the free VRAM of the agent's single best GPU (SPEC §5). */
  readonly min_vram_gb?: number;
  readonly min_cores?: number;
  readonly min_memory_gb?: number;
  readonly gpu_type?: GpuType;
  readonly pool?: string;
}

export interface CapacityAgent {
  readonly agent_id: string;
  readonly pool_name: string;
  readonly reported_status: AgentStatus;
  readonly gpu_type: GpuType;
  readonly gpu_count: number;
  /** Free VRAM of the best single GPU. */
  readonly best_gpu_vram_available_gb: number;
  /** Free VRAM summed over GPUs. */
  readonly vram_available_gb: number;
  readonly cores_available: number;
  readonly memory_available_gb: number;
  /** What work still active on the agent booked: already subtracted from the free figures above. */
  readonly booked: { readonly vram_gb: number; readonly cores: number; readonly memory_gb: number };
  /** Takes no new work: it says it is draining, or it was drained through the API. */
  readonly draining: boolean;
  readonly capabilities: ReadonlyArray<string>;
  readonly last_heartbeat_at: string;
}

export interface CapacityAnswer {
  readonly agents: ReadonlyArray<CapacityAgent>;
  readonly totals: {
    readonly agents: number;
    readonly vram_available_gb: number;
    readonly cores_available: number;
    readonly memory_available_gb: number;
    /** What active work books on the agents listed. */
    readonly booked: { readonly vram_gb: number; readonly cores: number; readonly memory_gb: number };
  };
  /** Jobs waiting in the queue (all of them, whatever the filters). */
  readonly queued: number;
}

export interface AgentRegistryShape {
  /**
   * Applies a batch of heartbeats in one statement/transaction: unknown agents
   * are registered, `last_heartbeat_at` = the database's now(), liveness set
   * online (a transition row when it changes). Inside the batch the latest
   * (boot_id, seq) per agent wins; against the stored row a heartbeat with the
   * same boot_id and a seq not greater changes nothing. Another boot_id wins
   * if its `boot_started_at` is later than the registered boot's, or either
   * lacks one (older agents), or the registered boot has been silent for over
   * `silentBootSeconds` (default 90, the heartbeat timeout) by the database clock.
   */
  /** The agent's per-minute samples in [since, until), oldest first. */
  readonly history: (agentId: string, since: string, until: string) => Effect.Effect<ReadonlyArray<HistoryPoint>, RegistryError>;
  /** Deletes history older than `retentionDays`; how many samples went. */
  readonly pruneHistory: (retentionDays: number) => Effect.Effect<number, RegistryError>;
  /** The database's clock now (ISO): where the live page's next batch starts reading. */
  readonly databaseNow: Effect.Effect<string, RegistryError>;
  readonly applyHeartbeats: (
    batch: ReadonlyArray<StatusUpdate>,
    /** `history: false`: no per-minute samples (HISTORY_RETENTION_DAYS=0). */
    options?: { readonly silentBootSeconds?: number; readonly history?: boolean }
  ) => Effect.Effect<ApplyResult, RegistryError>;
  /** Online agents whose last heartbeat is older than `timeoutSeconds` by the database clock. */
  readonly findStale: (timeoutSeconds: number) => Effect.Effect<ReadonlyArray<string>, RegistryError>;
  /**
   * Seconds from now until the earliest online agent's last heartbeat is
   * `timeoutSeconds` old, by the database clock: `min(last_heartbeat_at) +
   * timeout - now()` over online agents (zero or less: someone is already
   * past it). None when no agent is online. One read of the
   * (status, last_heartbeat_at) index: where the offline sweep wakes next.
   */
  readonly nextOfflineDeadline: (timeoutSeconds: number) => Effect.Effect<Option.Option<number>, RegistryError>;
  /**
   * Marks these agents offline (only those still online), returning the
   * transitions; work still active on them becomes `lost` in the same statement.
   * `silentForSeconds` (the sweep): only those whose last heartbeat is still
   * older than that when the rows are locked; one that heartbeated since the
   * list was read stays online. `bootId` (agent_shutdown): only an agent whose
   * registered boot is that one; a shutdown from another boot changes nothing.
   */
  readonly markOffline: (
    agentIds: ReadonlyArray<string>,
    reason: string,
    options?: { readonly silentForSeconds?: number; readonly bootId?: string }
  ) => Effect.Effect<ReadonlyArray<OfflineTransition>, RegistryError>;
  readonly countOnline: Effect.Effect<number, RegistryError>;
  readonly listAgents: (filter: AgentFilter) => Effect.Effect<ReadonlyArray<AgentRecord>, RegistryError>;
  /** Agents changed at or after `since` (ISO, the database clock), without their figures. */
  readonly agentChanges: (since: string) => Effect.Effect<ReadonlyArray<AgentChange>, RegistryError>;
  readonly getAgent: (agentId: string) => Effect.Effect<Option.Option<AgentDetail>, RegistryError>;
  /** Every agent, online and offline, with only what the fleet's Prometheus series show (a lean read for /metrics). */
  readonly fleet: Effect.Effect<ReadonlyArray<FleetAgent>, RegistryError>;
  /**
   * Online agents only, matching every filter, plus totals. Free figures are
   * the last heartbeat's minus what active work booked there (as the router
   * counts them), VRAM per GPU.
   */
  readonly capacity: (filter: CapacityFilter) => Effect.Effect<CapacityAnswer, RegistryError>;
  /**
   * Runs `effect` only if this process wins the sweep's advisory lock
   * (pg_try_advisory_lock); `None` when another orchestrator holds it.
   */
  readonly withSweepLock: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<Option.Option<A>, E | RegistryError>;
  /** Drains (true) or resumes (false) an agent through the API; kept across restarts. None: no such agent. */
  readonly setDrained: (agentId: string, drained: boolean) => Effect.Effect<Option.Option<AgentRecord>, RegistryError>;
  /** Round-trip to the database, for /readyz. */
  readonly ping: Effect.Effect<void, RegistryError>;
}

/** The agent registry (SPEC §5); implemented by `AgentRegistryLive` (Layers/AgentRegistry.ts). */
export class AgentRegistry extends Context.Service<AgentRegistry, AgentRegistryShape>()("@homelab/registry/AgentRegistry") {}
