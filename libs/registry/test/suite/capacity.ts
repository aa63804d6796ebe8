import { Effect } from "effect";
import { AgentRegistry } from "../../src/index.ts";
import { heartbeat } from "../fixtures.ts";
import type { Run } from "./run.ts";

export const capacityTests = (run: Run): void =>
  describe("capacity", () => {
    it("compares min_vram_gb with the best single GPU: 2 x 12 GB free is not 20 GB, 1 x 24 GB is", async () => {
      const [need20, need12] = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([
            heartbeat("two-12", { gpus: [12, 12] }),
            heartbeat("one-24", { gpus: [24] }),
            heartbeat("cpu-only")
          ]);
          return [yield* r.capacity({ min_vram_gb: 20 }), yield* r.capacity({ min_vram_gb: 12 })];
        })
      );
      expect(need20?.agents.map((a) => a.agent_id)).toEqual(["one-24"]);
      expect(need12?.agents.map((a) => [a.agent_id, a.best_gpu_vram_available_gb, a.vram_available_gb])).toEqual([
        ["one-24", 24, 24],
        ["two-12", 12, 24]
      ]);
    });

    it("filters by free cores, free memory, gpu_type and pool, all at once when asked", async () => {
      const answers = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([
            heartbeat("big", { coresFree: 14, memoryFree: 60, gpus: [20], pool: "lab" }),
            heartbeat("small", { coresFree: 2, memoryFree: 4, gpus: [8], gpuType: "amd", pool: "lab" }),
            heartbeat("mid", { coresFree: 8, memoryFree: 30 })
          ]);
          const ids = (filter: Parameters<typeof r.capacity>[0]) =>
            r.capacity(filter).pipe(Effect.map((answer) => answer.agents.map((a) => a.agent_id)));
          return {
            cores: yield* ids({ min_cores: 8 }),
            memory: yield* ids({ min_memory_gb: 31 }),
            amd: yield* ids({ gpu_type: "amd" }),
            none: yield* ids({ gpu_type: "none" }),
            lab: yield* ids({ pool: "lab" }),
            all: yield* ids({ pool: "lab", min_cores: 2, min_memory_gb: 4, gpu_type: "amd", min_vram_gb: 8 }),
            nothing: yield* ids({ pool: "lab", min_cores: 15 })
          };
        })
      );
      expect(answers).toEqual({
        cores: ["big", "mid"],
        memory: ["big"],
        amd: ["small"],
        none: ["mid"],
        lab: ["big", "small"],
        all: ["small"],
        nothing: []
      });
    });

    it("leaves offline agents out and sums the totals over the agents it lists", async () => {
      const answer = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([
            heartbeat("a", { coresFree: 4.5, memoryFree: 15.5, gpus: [10, 6], status: "draining" }),
            heartbeat("b", { coresFree: 2.25, memoryFree: 7.25, gpus: [] }),
            heartbeat("c", { coresFree: 16, memoryFree: 64, gpus: [24] })
          ]);
          yield* r.markOffline(["c"], "agent_shutdown");
          return yield* r.capacity({});
        })
      );
      expect(answer.agents.map((a) => a.agent_id)).toEqual(["a", "b"]);
      expect(answer.agents[0]).toMatchObject({
        pool_name: "desktop_pool_1",
        reported_status: "draining",
        gpu_type: "nvidia",
        gpu_count: 2,
        best_gpu_vram_available_gb: 10,
        vram_available_gb: 16,
        cores_available: 4.5,
        memory_available_gb: 15.5,
        capabilities: ["echo"]
      });
      expect(answer.totals).toEqual({
        agents: 2,
        vram_available_gb: 16,
        cores_available: 6.75,
        memory_available_gb: 22.75,
        booked: { vram_gb: 0, cores: 0, memory_gb: 0 }
      });
      expect(answer.queued).toBe(0);
    });
  });
