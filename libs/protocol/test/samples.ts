import {
  AgentId,
  type EnvelopeOf,
  makeEnvelope,
  ORCHESTRATOR_SENDER
} from "../src/index.ts";

// Messages built the way the TypeScript apps build them: makeEnvelope with
// the id and clock reading passed in.

export const agentId = AgentId.make("gaming-pc");

export const heartbeat: EnvelopeOf<"work_status"> = makeEnvelope({
  type: "work_status",
  sender: agentId,
  message_id: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
  sent_at: "2025-03-01T12:00:00.000Z",
  payload: {
    agent_id: agentId,
    agent_type: "desktop",
    pool_name: "desktop_pool_1",
    status: "busy",
    boot_id: "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b",
    seq: 7,
    capabilities: ["echo", "transcode"],
    resources: {
      cpu_load_1min: 3.5,
      cpu_load_5min: 2.75,
      cpu_load_15min: 1.125,
      cpu_cores_total: 16,
      cpu_cores_available: 12.5,
      memory_total_gb: 62.5,
      memory_available_gb: 40.25,
      memory_percent: 35.6,
      gpu_type: "nvidia",
      gpu_count: 1,
      gpu_vram_total_gb: 23.98828125,
      gpu_vram_available_gb: 11.98828125,
      gpus: [
        {
          index: 0,
          uuid: "GPU-5a8d3c2e-1f4b-4c6d-9e8f-7a6b5c4d3e2f",
          name: "NVIDIA GeForce RTX 4090",
          vram_total_gb: 23.98828125,
          vram_used_gb: 12,
          vram_available_gb: 11.98828125,
          utilization_percent: null,
          temperature_c: 63.5
        }
      ],
      collected_at: "2025-03-01T11:59:59.950Z",
      collection_errors: [{ source: "rocm-smi", message: "not installed" }]
    },
    current_work: ["w-1001"]
  }
});

export const workRequest: EnvelopeOf<"work_request"> = makeEnvelope({
  type: "work_request",
  sender: ORCHESTRATOR_SENDER,
  message_id: "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
  sent_at: "2025-03-01T12:00:01Z",
  correlation_id: "w-1001",
  payload: {
    work_id: "w-1001",
    kind: "transcode",
    params: { input: "/media/in file.mkv", output: "/media/ütf-8 ✓.mkv" },
    requirements: { min_vram_gb: 12, gpu_type: "nvidia" },
    timeout_seconds: 3600
  }
});

export const workResult: EnvelopeOf<"work_result"> = makeEnvelope({
  type: "work_result",
  sender: agentId,
  message_id: "8b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
  sent_at: "2025-03-01T12:30:00Z",
  correlation_id: "w-1001",
  payload: {
    work_id: "w-1001",
    agent_id: agentId,
    status: "timed_out",
    exit_code: null,
    output: "frame= 1200 fps= 60\n\"quoted\" \\ backslash\n",
    error: "killed after 3600 s",
    started_at: "2025-03-01T12:00:02Z",
    finished_at: "2025-03-01T13:00:02Z"
  }
});

export const shutdown: EnvelopeOf<"agent_shutdown"> = makeEnvelope({
  type: "agent_shutdown",
  sender: agentId,
  message_id: "9c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f",
  sent_at: "2025-03-01T23:00:00Z",
  payload: { agent_id: agentId, boot_id: "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b", reason: "SIGTERM" }
});
