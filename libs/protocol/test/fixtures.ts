// Messages as other agents put them on the wire, written by hand: Python's
// json.dumps spacing, snake_case, floats such as 3.5, nulls, and fields this
// build does not know. Beside each, the value it must decode to.

/** A heartbeat from a Python agent: two GPUs, one without utilization/temperature, extra fields. */
export const pythonHeartbeatJson = `{"message_id": "3f2b8c1e-9a4d-4e7b-8c2f-1a2b3c4d5e6f", "type": "work_status", "version": 1,
 "sent_at": "2025-03-01T12:00:00.123456Z", "sender": "gaming-pc", "correlation_id": null, "trace_id": "a1b2",
 "payload": {"agent_id": "gaming-pc", "agent_type": "desktop", "status": "online",
  "boot_id": "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b", "seq": 42, "capabilities": ["echo", "transcode"],
  "python_version": "3.12.1",
  "resources": {"cpu_load_1min": 3.5, "cpu_load_5min": 2.25, "cpu_load_15min": 1.0, "cpu_cores_total": 16,
   "cpu_cores_available": 12.5, "memory_total_gb": 31.25, "memory_available_gb": 20.5, "memory_percent": 34.4,
   "gpu_type": "nvidia", "gpu_count": 2, "gpu_vram_total_gb": 35.5, "gpu_vram_available_gb": 30.0,
   "gpus": [
    {"index": 0, "uuid": "GPU-5a8d3c2e-1f4b-4c6d-9e8f-7a6b5c4d3e2f", "name": "NVIDIA GeForce RTX 4090",
     "vram_total_gb": 23.98828125, "vram_used_gb": 1.5, "vram_available_gb": 22.48828125,
     "utilization_percent": 7.0, "temperature_c": 41.0, "power_draw_w": 35.2},
    {"index": 1, "uuid": null, "name": "NVIDIA GeForce RTX 3060", "vram_total_gb": 11.51171875,
     "vram_used_gb": 4.0, "vram_available_gb": 7.51171875, "utilization_percent": null, "temperature_c": null}
   ],
   "collected_at": "2025-03-01T11:59:59.9Z",
   "collection_errors": [{"source": "nvidia-smi", "message": "temperature: [N/A]", "code": 3}]},
  "current_work": ["w-1001"]}}`;

/** What {@link pythonHeartbeatJson} decodes to: no extras, no null correlation_id. */
export const pythonHeartbeat = {
  message_id: "3f2b8c1e-9a4d-4e7b-8c2f-1a2b3c4d5e6f",
  type: "work_status",
  version: 1,
  sent_at: "2025-03-01T12:00:00.123456Z",
  sender: "gaming-pc",
  payload: {
    agent_id: "gaming-pc",
    agent_type: "desktop",
    status: "online",
    boot_id: "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b",
    seq: 42,
    capabilities: ["echo", "transcode"],
    resources: {
      cpu_load_1min: 3.5,
      cpu_load_5min: 2.25,
      cpu_load_15min: 1,
      cpu_cores_total: 16,
      cpu_cores_available: 12.5,
      memory_total_gb: 31.25,
      memory_available_gb: 20.5,
      memory_percent: 34.4,
      gpu_type: "nvidia",
      gpu_count: 2,
      gpu_vram_total_gb: 35.5,
      gpu_vram_available_gb: 30,
      gpus: [
        {
          index: 0,
          uuid: "GPU-5a8d3c2e-1f4b-4c6d-9e8f-7a6b5c4d3e2f",
          name: "NVIDIA GeForce RTX 4090",
          vram_total_gb: 23.98828125,
          vram_used_gb: 1.5,
          vram_available_gb: 22.48828125,
          utilization_percent: 7,
          temperature_c: 41
        },
        {
          index: 1,
          uuid: null,
          name: "NVIDIA GeForce RTX 3060",
          vram_total_gb: 11.51171875,
          vram_used_gb: 4,
          vram_available_gb: 7.51171875,
          utilization_percent: null,
          temperature_c: null
        }
      ],
      collected_at: "2025-03-01T11:59:59.9Z",
      collection_errors: [{ source: "nvidia-smi", message: "temperature: [N/A]" }]
    },
    current_work: ["w-1001"]
  }
};

/** A heartbeat from a GPU-less server that names its pool and is draining. */
export const pythonServerHeartbeatJson = `{"message_id": "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f", "type": "work_status", "version": 1, "sent_at": "2025-03-01T12:00:30Z", "sender": "nas01.lan", "payload": {"agent_id": "nas01.lan", "agent_type": "server", "pool_name": "storage_pool", "status": "draining", "boot_id": "11111111-2222-4333-8444-555555555555", "seq": 0, "capabilities": [], "resources": {"cpu_load_1min": 0.0, "cpu_load_5min": 0.05, "cpu_load_15min": 0.1, "cpu_cores_total": 4, "cpu_cores_available": 4.0, "memory_total_gb": 7.5, "memory_available_gb": 7.5, "memory_percent": 0, "gpu_type": "none", "gpu_count": 0, "gpu_vram_total_gb": 0, "gpu_vram_available_gb": 0, "gpus": [], "collected_at": "2025-03-01T12:00:30Z", "collection_errors": []}, "current_work": []}}`;

/** What {@link pythonServerHeartbeatJson} decodes to. */
export const pythonServerHeartbeat = {
  message_id: "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
  type: "work_status",
  version: 1,
  sent_at: "2025-03-01T12:00:30Z",
  sender: "nas01.lan",
  payload: {
    agent_id: "nas01.lan",
    agent_type: "server",
    pool_name: "storage_pool",
    status: "draining",
    boot_id: "11111111-2222-4333-8444-555555555555",
    seq: 0,
    capabilities: [],
    resources: {
      cpu_load_1min: 0,
      cpu_load_5min: 0.05,
      cpu_load_15min: 0.1,
      cpu_cores_total: 4,
      cpu_cores_available: 4,
      memory_total_gb: 7.5,
      memory_available_gb: 7.5,
      memory_percent: 0,
      gpu_type: "none",
      gpu_count: 0,
      gpu_vram_total_gb: 0,
      gpu_vram_available_gb: 0,
      gpus: [],
      collected_at: "2025-03-01T12:00:30Z",
      collection_errors: []
    },
    current_work: []
  }
};

/** A failed job's result from a Python agent; exit code and error set, an extra `duration_s`. */
export const pythonWorkResultJson = `{"message_id": "a0b1c2d3-e4f5-4a6b-9c7d-8e9f0a1b2c3d", "type": "work_result", "version": 1, "sent_at": "2025-03-01T12:05:00Z", "sender": "gaming-pc", "correlation_id": "w-1001", "payload": {"work_id": "w-1001", "agent_id": "gaming-pc", "status": "failed", "exit_code": 1, "output": "ffmpeg version 6.1\\nerror: no such file\\n", "error": "process exited with code 1", "started_at": "2025-03-01T12:00:01.5Z", "finished_at": "2025-03-01T12:04:59.25Z", "duration_s": 297.75}}`;

/** What {@link pythonWorkResultJson} decodes to. */
export const pythonWorkResult = {
  message_id: "a0b1c2d3-e4f5-4a6b-9c7d-8e9f0a1b2c3d",
  type: "work_result",
  version: 1,
  sent_at: "2025-03-01T12:05:00Z",
  sender: "gaming-pc",
  correlation_id: "w-1001",
  payload: {
    work_id: "w-1001",
    agent_id: "gaming-pc",
    status: "failed",
    exit_code: 1,
    output: "ffmpeg version 6.1\nerror: no such file\n",
    error: "process exited with code 1",
    started_at: "2025-03-01T12:00:01.5Z",
    finished_at: "2025-03-01T12:04:59.25Z"
  }
};

/** A rejected job: never ran, so exit_code is null. */
export const pythonRejectedResultJson = `{"message_id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", "type": "work_result", "version": 1, "sent_at": "2025-03-01T12:06:00Z", "sender": "gaming-pc", "correlation_id": "w-1002", "payload": {"work_id": "w-1002", "agent_id": "gaming-pc", "status": "rejected", "exit_code": null, "output": "", "error": "unknown task kind: render", "started_at": "2025-03-01T12:06:00Z", "finished_at": "2025-03-01T12:06:00Z"}}`;

/** What {@link pythonRejectedResultJson} decodes to. */
export const pythonRejectedResult = {
  message_id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
  type: "work_result",
  version: 1,
  sent_at: "2025-03-01T12:06:00Z",
  sender: "gaming-pc",
  correlation_id: "w-1002",
  payload: {
    work_id: "w-1002",
    agent_id: "gaming-pc",
    status: "rejected",
    exit_code: null,
    output: "",
    error: "unknown task kind: render",
    started_at: "2025-03-01T12:06:00Z",
    finished_at: "2025-03-01T12:06:00Z"
  }
};

/** A work request as an older orchestrator wrote it: a null requirement and an extra `priority`. */
export const pythonWorkRequestJson = `{"message_id": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", "type": "work_request", "version": 1, "sent_at": "2025-03-01T12:00:00Z", "sender": "orchestrator", "correlation_id": "w-1001", "payload": {"work_id": "w-1001", "kind": "transcode", "params": {"input": "/media/in.mkv", "output": "/media/out.mkv"}, "requirements": {"min_vram_gb": 2.5, "min_cores": 2, "min_memory_gb": null, "gpu_type": "nvidia"}, "timeout_seconds": 3600, "priority": 5}}`;

/** What {@link pythonWorkRequestJson} decodes to: the null requirement is absent. */
export const pythonWorkRequest = {
  message_id: "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f",
  type: "work_request",
  version: 1,
  sent_at: "2025-03-01T12:00:00Z",
  sender: "orchestrator",
  correlation_id: "w-1001",
  payload: {
    work_id: "w-1001",
    kind: "transcode",
    params: { input: "/media/in.mkv", output: "/media/out.mkv" },
    requirements: { min_vram_gb: 2.5, min_cores: 2, gpu_type: "nvidia" },
    timeout_seconds: 3600
  }
};

/** A shutdown notice from a Python agent. */
export const pythonShutdownJson = `{"message_id": "d3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a", "type": "agent_shutdown", "version": 1, "sent_at": "2025-03-01T23:00:00Z", "sender": "gaming-pc", "payload": {"agent_id": "gaming-pc", "boot_id": "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b", "reason": "SIGTERM", "signal": 15}}`;

/** What {@link pythonShutdownJson} decodes to. */
export const pythonShutdown = {
  message_id: "d3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a",
  type: "agent_shutdown",
  version: 1,
  sent_at: "2025-03-01T23:00:00Z",
  sender: "gaming-pc",
  payload: { agent_id: "gaming-pc", boot_id: "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b", reason: "SIGTERM" }
};

/** Every hand-written message, valid, one or more of each type. */
export const validWireMessages: ReadonlyArray<string> = [
  pythonHeartbeatJson,
  pythonServerHeartbeatJson,
  pythonWorkResultJson,
  pythonRejectedResultJson,
  pythonWorkRequestJson,
  pythonShutdownJson
];
