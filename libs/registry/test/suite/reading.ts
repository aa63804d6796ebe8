import { Effect, Option } from "effect";
import { AgentRegistry } from "../../src/index.ts";
import { ageHeartbeat, heartbeat } from "../fixtures.ts";
import type { Run } from "./run.ts";

export const readingTests = (run: Run): void =>
  describe("reading the registry", () => {
    it("lists agents ordered by agent_id, filtered by liveness and pool", async () => {
      const lists = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([
            heartbeat("c", { pool: "lab" }),
            heartbeat("a", { pool: "lab" }),
            heartbeat("b")
          ]);
          yield* r.markOffline(["a"], "agent_shutdown");
          const ids = (filter: Parameters<typeof r.listAgents>[0]) =>
            r.listAgents(filter).pipe(Effect.map((agents) => agents.map((a) => a.agent_id)));
          return {
            all: yield* ids({}),
            online: yield* ids({ status: "online" }),
            offline: yield* ids({ status: "offline" }),
            lab: yield* ids({ pool: "lab" }),
            labOnline: yield* ids({ pool: "lab", status: "online" })
          };
        })
      );
      expect(lists).toEqual({
        all: ["a", "b", "c"],
        online: ["b", "c"],
        offline: ["a"],
        lab: ["a", "c"],
        labOnline: ["c"]
      });
    });

    it("reads the fleet for /metrics: each agent's figures and GPUs as its last heartbeat gave them, its drain, and its heartbeat age by the database clock", async () => {
      const { fleet, listed } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("fleet-a", { gpus: [20.5, 3], slots: 2, pool: "lab" }), heartbeat("fleet-b", { coresFree: 3 })]);
          yield* ageHeartbeat("fleet-a", 40);
          yield* r.setDrained("fleet-b", true);
          yield* r.markOffline(["fleet-b"], "agent_shutdown");
          const all = yield* r.fleet;
          return { fleet: all.filter((a) => a.agent_id.startsWith("fleet-")), listed: yield* r.listAgents({}) };
        })
      );
      const a = listed.find((x) => x.agent_id === "fleet-a")!.resource_metrics;
      expect(fleet.map((x) => x.agent_id)).toEqual(["fleet-a", "fleet-b"]);
      expect(fleet[0]).toMatchObject({
        pool_name: "lab",
        status: "online",
        reported_status: "online",
        drained: false,
        cpu_load_1min: a.cpu_load_1min,
        cpu_cores_total: 16,
        cpu_cores_available: a.cpu_cores_available,
        memory_total_gb: 64,
        memory_available_gb: a.memory_available_gb,
        max_concurrent_work: 2,
        gpu_type: "nvidia",
        gpus: a.gpus
      });
      expect(fleet[0]!.heartbeat_age_seconds).toBeGreaterThanOrEqual(40);
      expect(fleet[0]!.heartbeat_age_seconds).toBeLessThan(45);
      expect(fleet[1]).toMatchObject({ status: "offline", drained: true, cpu_cores_available: 3, max_concurrent_work: null, gpus: [] });
    });

    it("answers None for an agent it has never heard from", async () => {
      expect(Option.isNone(await run(AgentRegistry.use((r) => r.getAgent("nobody"))))).toBe(true);
    });

    it("answers ping while the database is up", async () => {
      await expect(run(AgentRegistry.use((r) => r.ping))).resolves.toBeUndefined();
    });
  });
