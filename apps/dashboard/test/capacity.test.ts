import { decodeAgent } from "../src/api/decodeAgent.ts";
import { decode } from "../src/api/decodeKit.ts";
import type { Agent } from "../src/api/types.ts";
import { bestFit, type GpuFit, gpuFits } from "../src/capacity/bestFit.ts";
import { capacityRequest, decodeCapacityAnswer } from "../src/capacity/capacityQuery.ts";
import { groupBookings } from "../src/state/bookings.ts";
import { agentJson, gpuJson, metricsJson } from "./fixtures.ts";

const agent = (id: string, gpus: ReadonlyArray<Record<string, unknown>>): Agent => {
  const r = decode(decodeAgent, agentJson(id, { resource_metrics: metricsJson({ gpus }) }));
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const fit = (agent_id: string, gpu_index: number, free_gb: number, booked_gb = 0): GpuFit => ({ agent_id, gpu_index, free_gb, booked_gb });

describe("capacity finder", () => {
  test("the request leaves out empty fields and passes the rest as query parameters", () => {
    expect(capacityRequest({ vram: "16", cores: "", memory: " 8.5 " })).toEqual({ ok: true, path: "/capacity?min_vram_gb=16&min_memory_gb=8.5", minVramGb: 16 });
    expect(capacityRequest({ vram: "", cores: "", memory: "" })).toEqual({ ok: true, path: "/capacity", minVramGb: null });
  });

  test("a negative or non-numeric field is refused before asking the server", () => {
    expect(capacityRequest({ vram: "-1", cores: "", memory: "" })).toEqual({ ok: false, error: "VRAM GB on one GPU: enter a number of 0 or more" });
    expect(capacityRequest({ vram: "", cores: "four", memory: "" }).ok).toBe(false);
  });

  test("free VRAM per GPU is what the agent reports available minus what our jobs booked there", () => {
    const agents = new Map([["a", agent("a", [gpuJson({ index: 0, vram_available_gb: 18 }), gpuJson({ index: 1, vram_available_gb: 3 })])]]);
    const bookings = groupBookings(new Map(), [
      { agent_id: "a", gpu_index: 0, vram_gb: 5.5 },
      { agent_id: "a", gpu_index: 1, vram_gb: 4 }
    ]);
    expect(gpuFits(["a", "unknown"], agents, bookings)).toEqual([fit("a", 0, 12.5, 5.5), fit("a", 1, 0, 4)]);
  });

  test("best fit is the GPU with the least free VRAM that is still enough", () => {
    expect(bestFit([fit("a", 0, 24), fit("b", 0, 10), fit("c", 0, 7.9), fit("d", 1, 12)], 8)).toEqual(fit("b", 0, 10));
  });

  test("a GPU with exactly the VRAM asked for fits", () => {
    expect(bestFit([fit("a", 0, 24), fit("b", 0, 8)], 8)).toEqual(fit("b", 0, 8));
  });

  test("ties go to the GPU with less booked, then the agent id, then the GPU index", () => {
    expect(bestFit([fit("a", 0, 10, 4), fit("b", 0, 10, 2)], 8)?.agent_id).toBe("b");
    expect(bestFit([fit("z", 0, 10, 2), fit("m", 0, 10, 2)], 8)?.agent_id).toBe("m");
    expect(bestFit([fit("m", 3, 10), fit("m", 1, 10)], 8)?.gpu_index).toBe(1);
  });

  test("no GPU with enough VRAM means no best fit", () => {
    expect(bestFit([fit("a", 0, 7)], 8)).toBeNull();
    expect(bestFit([], 0)).toBeNull();
  });

  test("the capacity answer's agents are decoded and a malformed one is set aside", () => {
    const answer = decode(decodeCapacityAnswer, {
      agents: [
        { agent_id: "a", pool_name: "p", best_gpu_vram_available_gb: 12.5, cores_available: 14, memory_available_gb: 40, booked: { vram_gb: 4, cores: 2, memory_gb: 8 }, draining: false },
        { pool_name: "no id" }
      ],
      totals: {},
      queued: 0
    });
    if (!answer.ok) throw new Error(answer.error);
    expect(answer.value.agents).toEqual([
      { agent_id: "a", pool_name: "p", best_gpu_vram_available_gb: 12.5, cores_available: 14, memory_available_gb: 40, booked: { vram_gb: 4, cores: 2, memory_gb: 8 }, draining: false }
    ]);
    expect(answer.value.problems).toEqual(["agents[1].agent_id: expected a string"]);
  });
});
