// Wire-format builders for the tests: JSON as the orchestrator sends it.

export const gpuJson = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  index: 0,
  uuid: "GPU-1",
  name: "RTX 4090",
  vram_total_gb: 24,
  vram_used_gb: 6,
  vram_available_gb: 18,
  utilization_percent: 37,
  temperature_c: 61,
  ...over
});

export const metricsJson = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  cpu_load_1min: 1.5,
  cpu_load_5min: 1.2,
  cpu_load_15min: 1,
  cpu_cores_total: 16,
  cpu_cores_available: 14,
  memory_total_gb: 64,
  memory_available_gb: 40,
  memory_percent: 37.5,
  gpu_type: "nvidia",
  gpu_count: 1,
  gpu_vram_total_gb: 24,
  gpu_vram_available_gb: 18,
  gpus: [gpuJson()],
  collected_at: "2025-01-01T00:00:00.000Z",
  collection_errors: [],
  ...over
});

export const agentJson = (id: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  agent_id: id,
  agent_type: "desktop",
  pool_name: "default",
  status: "online",
  reported_status: "online",
  offline_reason: null,
  capabilities: ["shell", "echo"],
  resource_metrics: metricsJson(),
  last_heartbeat_at: "2025-01-01T00:00:00.000Z",
  boot_id: "b1",
  last_seq: 1,
  registered_at: "2025-01-01T00:00:00.000Z",
  updated_at: "2025-01-01T00:00:00.000Z",
  drained: false,
  max_concurrent_work: 2,
  draining: false,
  ...over
});

export const workJson = (id: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  work_id: id,
  kind: "shell",
  params: { cmd: "true" },
  requirements: {},
  timeout_seconds: 3600,
  agent_id: "a1",
  gpu_index: 0,
  allocation: { vram_gb: 4, cores: 1, memory_gb: 2 },
  state: "running",
  priority: 0,
  submit_order: 1,
  result: null,
  reason: null,
  created_at: "2025-01-01T00:00:00.000Z",
  dispatched_at: "2025-01-01T00:00:01.000Z",
  started_at: "2025-01-01T00:00:02.000Z",
  finished_at: null,
  updated_at: "2025-01-01T00:00:02.000Z",
  queue_expires_at: null,
  ...over
});

export const snapshotJson = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  now: "2025-01-01T00:00:10.000Z",
  heartbeat_timeout_seconds: 30,
  agents: [agentJson("a1")],
  bookings: [],
  work: { active: [], queued: [], finished: [] },
  ...over
});

/** An SSE frame as the parser hands it on. */
export const frame = (event: string, data: unknown) => ({ event, data: typeof data === "string" ? data : JSON.stringify(data), id: null });
