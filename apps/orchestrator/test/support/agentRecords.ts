import type { GpuMetrics, ResourceMetrics } from "@homelab/protocol";
import type { AgentRecord } from "@homelab/registry";

/** A GPU with `free` of `total` GB available. */
export const gpu = (index: number, total: number, free: number): GpuMetrics => ({
  index,
  uuid: `GPU-0000000${index}`,
  name: "NVIDIA GeForce RTX 4090",
  vram_total_gb: total,
  vram_used_gb: total - free,
  vram_available_gb: free,
  utilization_percent: 10,
  temperature_c: 45
});

/** An agent as the registry would hold it; overrides set liveness, pool, GPUs and free figures. */
export const agentRecord = (
  agent_id: string,
  options: {
    readonly status?: "online" | "offline";
    readonly pool?: string;
    readonly gpus?: ReadonlyArray<GpuMetrics>;
    readonly cores_available?: number;
    readonly memory_available_gb?: number;
  } = {}
): AgentRecord => {
  const gpus = options.gpus ?? [];
  const metrics: ResourceMetrics = {
    cpu_load_1min: 1,
    cpu_load_5min: 1,
    cpu_load_15min: 1,
    cpu_cores_total: 16,
    cpu_cores_available: options.cores_available ?? 15,
    memory_total_gb: 64,
    memory_available_gb: options.memory_available_gb ?? 48,
    memory_percent: 25,
    gpu_type: gpus.length > 0 ? "nvidia" : "none",
    gpu_count: gpus.length,
    gpu_vram_total_gb: gpus.reduce((t, g) => t + g.vram_total_gb, 0),
    gpu_vram_available_gb: gpus.reduce((t, g) => t + g.vram_available_gb, 0),
    gpus,
    collected_at: "2025-01-31T12:00:00Z",
    collection_errors: []
  };
  return {
    agent_id,
    agent_type: "desktop",
    pool_name: options.pool ?? "desktop_pool_1",
    status: options.status ?? "online",
    reported_status: "online",
    capabilities: ["echo"],
    resource_metrics: metrics,
    last_heartbeat_at: "2025-01-31T12:00:01Z",
    boot_id: "4b7f4d3e-8c57-4c1e-9a55-0d6b0c1b2a3f",
    last_seq: 7,
    registered_at: "2025-01-30T08:00:00Z",
    updated_at: "2025-01-31T12:00:01Z",
    drained: false,
    max_concurrent_work: null,
    offline_reason: (options.status ?? "online") === "offline" ? "no heartbeat for over 90 s" : null
  };
};
