// A task kind's `requires`, checked by the agent against the machine as last
// measured before it runs anything.
import { Result } from "effect";
import { AgentId } from "@homelab/protocol";
import { planWork, type WorkSettings } from "../src/WorkConsumer.ts";
import { unmetRequirements } from "../src/work/requirements.ts";
import { FIXED } from "./support/fixedMetrics.ts";

const settings: WorkSettings = {
  agentId: AgentId.make("req-test"),
  replyQueue: "orchestrator.replies",
  publishDeadlineMs: 5000,
  tasks: {
    transcode: { command: ["ffmpeg", "-i", "{input}"], timeout_seconds: 600, requires: { min_vram_gb: 2, gpu_type: "nvidia" } },
    big: { command: ["train"], timeout_seconds: 600, requires: { min_vram_gb: 40, min_cores: 32, min_memory_gb: 100 } },
    plain: { command: ["true"], timeout_seconds: 600, requires: {} }
  },
  maxOutputBytes: 65536,
  shutdownGraceSeconds: 8,
  hostEnv: {}
};

const request = (kind: string, params: Record<string, string> = {}) => ({
  work_id: "w-1",
  kind,
  params,
  requirements: {},
  timeout_seconds: 60
});

describe("task kind requirements", () => {
  it("runs a kind whose requirements the machine meets", () => {
    expect(Result.isSuccess(planWork(settings, request("transcode", { input: "a.mkv" }), FIXED))).toBe(true);
    expect(unmetRequirements({}, FIXED)).toBeUndefined();
  });

  it("rejects a kind the machine cannot serve now, naming every shortfall with what there is", () => {
    const plan = planWork(settings, request("big"), FIXED);
    expect(Result.isFailure(plan) ? plan.failure : "ran").toBe(
      'kind "big" needs 40 GB of VRAM free on one GPU (most free now: 21.78 GB), 32 free cores (now: 15.5), 100 GB of free memory (now: 48.1 GB); not run'
    );
  });

  it("compares VRAM with one GPU, never the sum of two", () => {
    const twoHalves = {
      ...FIXED,
      gpu_count: 2,
      gpu_vram_available_gb: 2,
      gpus: [
        { ...FIXED.gpus[0]!, index: 0, vram_available_gb: 1 },
        { ...FIXED.gpus[0]!, index: 1, vram_available_gb: 1 }
      ]
    };
    expect(unmetRequirements({ min_vram_gb: 2 }, twoHalves)).toBe("needs 2 GB of VRAM free on one GPU (most free now: 1 GB)");
  });

  it("rejects a kind that needs another GPU type", () => {
    expect(unmetRequirements({ gpu_type: "amd" }, FIXED)).toBe("needs a GPU of type amd (this machine: nvidia)");
  });

  it("does not judge before the first measurement", () => {
    expect(Result.isSuccess(planWork(settings, request("big")))).toBe(true);
  });
});
