// The orchestrator's JSON as the dashboard uses it (snake_case, as on the wire).

export type GpuType = "nvidia" | "amd" | "intel" | "none";
export const GPU_TYPES: ReadonlyArray<GpuType> = ["nvidia", "amd", "intel", "none"];

export type AgentStatus = "online" | "offline";
export type ReportedStatus = "online" | "busy" | "draining";

export interface Gpu {
  readonly index: number;
  readonly uuid: string | null;
  readonly name: string;
  readonly vram_total_gb: number;
  readonly vram_used_gb: number;
  readonly vram_available_gb: number;
  readonly utilization_percent: number | null;
  readonly temperature_c: number | null;
}

export interface ResourceMetrics {
  readonly cpu_load_1min: number;
  readonly cpu_load_5min: number;
  readonly cpu_load_15min: number;
  readonly cpu_cores_total: number;
  readonly cpu_cores_available: number;
  readonly memory_total_gb: number;
  readonly memory_available_gb: number;
  readonly memory_percent: number;
  readonly gpu_type: GpuType;
  readonly gpu_count: number;
  readonly gpu_vram_total_gb: number;
  readonly gpu_vram_available_gb: number;
  readonly gpus: ReadonlyArray<Gpu>;
  readonly collected_at: string | null;
  readonly collection_errors: ReadonlyArray<{ readonly source: string; readonly message: string }>;
}

export interface Agent {
  readonly agent_id: string;
  readonly agent_type: string;
  readonly pool_name: string;
  readonly status: AgentStatus;
  readonly reported_status: ReportedStatus;
  readonly offline_reason: string | null;
  readonly capabilities: ReadonlyArray<string>;
  readonly resource_metrics: ResourceMetrics;
  readonly last_heartbeat_at: string;
  readonly drained: boolean;
  readonly draining: boolean;
  readonly max_concurrent_work: number | null;
}

export interface Booking {
  readonly agent_id: string;
  readonly gpu_index: number;
  readonly vram_gb: number;
}

export type WorkState =
  | "queued"
  | "pending"
  | "dispatched"
  | "running"
  | "succeeded"
  | "failed"
  | "timed_out"
  | "lost"
  | "rejected"
  | "cancelled"
  | "expired";

export const WORK_STATES: ReadonlyArray<WorkState> = [
  "queued",
  "pending",
  "dispatched",
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "lost",
  "rejected",
  "cancelled",
  "expired"
];

/** States in which a job holds an agent (the "active" list). */
export const ACTIVE_STATES: ReadonlyArray<WorkState> = ["pending", "dispatched", "running"];
/** States a job can still be cancelled in. */
export const CANCELLABLE_STATES: ReadonlyArray<WorkState> = ["queued", "pending", "dispatched", "running"];

export interface Requirements {
  readonly min_vram_gb?: number;
  readonly min_cores?: number;
  readonly min_memory_gb?: number;
  readonly gpu_type?: GpuType;
}

export interface WorkResult {
  readonly status: string;
  readonly exit_code: number | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly started_at: string | null;
  readonly finished_at: string | null;
}

export interface Work {
  readonly work_id: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, string>>;
  readonly requirements: Requirements;
  readonly timeout_seconds: number | null;
  readonly agent_id: string | null;
  readonly gpu_index: number | null;
  readonly allocation: { readonly vram_gb: number; readonly cores: number; readonly memory_gb: number } | null;
  readonly state: WorkState;
  readonly priority: number;
  readonly submit_order: number | null;
  readonly result: WorkResult | null;
  readonly reason: string | null;
  readonly created_at: string | null;
  readonly dispatched_at: string | null;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly updated_at: string | null;
  readonly queue_expires_at: string | null;
  /** Only on queued work (the queue list, `GET /work/:id` of a queued job, a 202 that queued). */
  readonly waiting_reason: string | null;
}

export interface QueuedWork extends Work {
  readonly position: number;
}

export interface SnapshotEvent {
  readonly kind: "snapshot";
  readonly now: string;
  readonly heartbeat_timeout_seconds: number | null;
  readonly agents: ReadonlyArray<Agent>;
  readonly bookings: ReadonlyArray<Booking>;
  /** Jobs in the whole queue (the `queued` list is only its head); null: the server did not say. */
  readonly queued_total: number | null;
  readonly work: {
    readonly active: ReadonlyArray<Work>;
    readonly queued: ReadonlyArray<QueuedWork>;
    readonly finished: ReadonlyArray<Work>;
  };
}

export interface AgentsEvent {
  readonly kind: "agents";
  readonly now: string;
  readonly agents: ReadonlyArray<Agent>;
}

export interface WorkEvent {
  readonly kind: "work";
  readonly now: string;
  readonly work: ReadonlyArray<Work>;
  /** Absent: the event did not say, so the current queue is kept (less the jobs `work` moved on). */
  readonly queued: ReadonlyArray<QueuedWork> | null;
  /** Absent: the event did not say, so the bookings are kept. */
  readonly bookings: ReadonlyArray<Booking> | null;
  /** Jobs in the whole queue; null: the event did not say. */
  readonly queued_total: number | null;
}

export type FleetEvent = SnapshotEvent | AgentsEvent | WorkEvent;
