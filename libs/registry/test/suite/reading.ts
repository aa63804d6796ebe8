import { Effect, Option } from "effect";
import { AgentRegistry } from "../../src/index.ts";
import { heartbeat } from "../fixtures.ts";
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

    it("answers None for an agent it has never heard from", async () => {
      expect(Option.isNone(await run(AgentRegistry.use((r) => r.getAgent("nobody"))))).toBe(true);
    });

    it("answers ping while the database is up", async () => {
      await expect(run(AgentRegistry.use((r) => r.ping))).resolves.toBeUndefined();
    });
  });
