import { sql } from "drizzle-orm";
import { Effect, Option } from "effect";
import { AgentRegistry } from "../../src/index.ts";
import { BOOT_1, BOOT_2, dbClock, exec, heartbeat, inventory, storedTransitions } from "../fixtures.ts";
import type { Run } from "./run.ts";

export const ingestTests = (run: Run): void =>
  describe("heartbeat ingest", () => {
    it("registers an unknown agent on its first heartbeat, online, with a transition from null", async () => {
      const { result, transitions, stored } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const result = yield* r.applyHeartbeats([heartbeat("desk-1")]);
          return { result, transitions: yield* storedTransitions, stored: yield* r.getAgent("desk-1") };
        })
      );
      expect(result.applied).toBe(1);
      expect(result.ignored).toBe(0);
      expect(result.transitions).toEqual([
        { agent_id: "desk-1", from: null, to: "online", at: expect.stringMatching(/Z$/), reason: "first heartbeat" }
      ]);
      expect(transitions).toEqual([
        { agent_id: "desk-1", from_status: null, to_status: "online", reason: "first heartbeat" }
      ]);
      expect(Option.getOrThrow(stored).status).toBe("online");
    });

    it("saves the metrics, capabilities, pool, reported status, boot_id and seq of the heartbeat", async () => {
      const sent = heartbeat("gpu-box", {
        seq: 7,
        pool: "render_pool",
        status: "busy",
        gpus: [20.5, 3],
        capabilities: ["echo", "transcode"]
      });
      const [named, defaulted] = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([sent, heartbeat("plain", { type: "server" })]);
          return [Option.getOrThrow(yield* r.getAgent("gpu-box")), Option.getOrThrow(yield* r.getAgent("plain"))];
        })
      );
      expect(named).toMatchObject({
        agent_id: "gpu-box",
        agent_type: "desktop",
        pool_name: "render_pool",
        status: "online",
        reported_status: "busy",
        capabilities: ["echo", "transcode"],
        boot_id: BOOT_1,
        last_seq: 7
      });
      expect(named?.resource_metrics).toEqual(sent.resources);
      expect(defaulted?.pool_name).toBe("server_pool_1");
      expect(defaulted?.agent_type).toBe("server");
    });

    it("sets last_heartbeat_at from the database clock, even when the agent's clock is 10 minutes off", async () => {
      const skewed = new Date(Date.now() - 10 * 60_000).toISOString();
      const { before, after, agent } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const before = yield* dbClock;
          yield* r.applyHeartbeats([heartbeat("skewed", { collectedAt: skewed })]);
          const after = yield* dbClock;
          return { before, after, agent: Option.getOrThrow(yield* r.getAgent("skewed")) };
        })
      );
      expect(agent.resource_metrics.collected_at).toBe(skewed);
      expect(agent.last_heartbeat_at >= before).toBe(true);
      expect(agent.last_heartbeat_at <= after).toBe(true);
      expect(Date.parse(agent.last_heartbeat_at) - Date.parse(skewed)).toBeGreaterThan(9 * 60_000);
    });

    it("ignores a heartbeat older than the stored one (same boot_id, lower or equal seq)", async () => {
      const { older, same, agent } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("a", { seq: 5, coresFree: 10 })]);
          const older = yield* r.applyHeartbeats([heartbeat("a", { seq: 4, coresFree: 1 })]);
          const same = yield* r.applyHeartbeats([heartbeat("a", { seq: 5, coresFree: 2 })]);
          return { older, same, agent: Option.getOrThrow(yield* r.getAgent("a")) };
        })
      );
      expect(older).toEqual({ applied: 0, ignored: 1, transitions: [] });
      expect(same).toEqual({ applied: 0, ignored: 1, transitions: [] });
      expect(agent.last_seq).toBe(5);
      expect(agent.resource_metrics.cpu_cores_available).toBe(10);
    });

    it("applies a heartbeat with a new boot_id and seq 0 (the agent restarted)", async () => {
      const { result, agent } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("a", { seq: 500, boot: BOOT_1, coresFree: 10 })]);
          const result = yield* r.applyHeartbeats([heartbeat("a", { seq: 0, boot: BOOT_2, coresFree: 3 })]);
          return { result, agent: Option.getOrThrow(yield* r.getAgent("a")) };
        })
      );
      expect(result).toEqual({ applied: 1, ignored: 0, transitions: [] });
      expect(agent).toMatchObject({ boot_id: BOOT_2, last_seq: 0, status: "online" });
      expect(agent.resource_metrics.cpu_cores_available).toBe(3);
    });

    it("keeps the latest seq per agent within a batch, and the later boot_id when one batch holds two", async () => {
      const { result, a, b } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const result = yield* r.applyHeartbeats([
            heartbeat("a", { seq: 3, coresFree: 3 }),
            heartbeat("a", { seq: 9, coresFree: 9 }),
            heartbeat("a", { seq: 5, coresFree: 5 }),
            heartbeat("b", { seq: 40, boot: BOOT_1, coresFree: 4 }),
            heartbeat("b", { seq: 0, boot: BOOT_2, coresFree: 1 }),
            heartbeat("b", { seq: 1, boot: BOOT_2, coresFree: 2 })
          ]);
          return {
            result,
            a: Option.getOrThrow(yield* r.getAgent("a")),
            b: Option.getOrThrow(yield* r.getAgent("b"))
          };
        })
      );
      expect(result.applied).toBe(2);
      expect(result.ignored).toBe(4);
      expect(result.transitions.map((t) => t.agent_id)).toEqual(["a", "b"]);
      expect([a.last_seq, a.resource_metrics.cpu_cores_available]).toEqual([9, 9]);
      expect([b.boot_id, b.last_seq, b.resource_metrics.cpu_cores_available]).toEqual([BOOT_2, 1, 2]);
    });

    it("keeps the GPU inventory a heartbeat carried through later heartbeats of the boot that carry none, and drops it when a new boot sends none", async () => {
      const drivers = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const driver = Effect.map(r.getAgent("inv"), (a) => Option.getOrThrow(a).gpu_inventory?.driver_version ?? null);
          const seen: Array<string | null> = [];
          yield* r.applyHeartbeats([heartbeat("inv", { seq: 0, inventoryDriver: "550.120" })]);
          seen.push(yield* driver);
          yield* r.applyHeartbeats([heartbeat("inv", { seq: 1 })]);
          seen.push(yield* driver);
          yield* r.applyHeartbeats([heartbeat("inv", { seq: 2, inventoryDriver: "555.42" })]);
          seen.push(yield* driver);
          // Stale (seq not newer): its inventory is not applied either.
          yield* r.applyHeartbeats([heartbeat("inv", { seq: 2, inventoryDriver: "999.0" })]);
          seen.push(yield* driver);
          yield* r.applyHeartbeats([heartbeat("inv", { seq: 0, boot: BOOT_2 })]);
          seen.push(yield* driver);
          return seen;
        })
      );
      expect(drivers).toEqual(["550.120", "550.120", "555.42", "555.42", null]);
    });

    it("within a batch keeps the inventory of a superseded heartbeat of the same boot", async () => {
      const stored = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([
            heartbeat("inv-batch", { seq: 1, inventoryDriver: "550.120" }),
            heartbeat("inv-batch", { seq: 2 }),
            // Arrived out of order: a later heartbeat first, then the one carrying the inventory.
            heartbeat("inv-late", { seq: 5 }),
            heartbeat("inv-late", { seq: 4, inventoryDriver: "560.1" })
          ]);
          return [Option.getOrThrow(yield* r.getAgent("inv-batch")), Option.getOrThrow(yield* r.getAgent("inv-late"))];
        })
      );
      expect(stored.map((a) => [a.last_seq, a.gpu_inventory])).toEqual([
        [2, inventory("550.120")],
        [5, inventory("560.1")]
      ]);
    });

    it("applies a batch of 500 heartbeats from 500 agents in one call", async () => {
      const batch = Array.from({ length: 500 }, (_, i) =>
        heartbeat(`node-${String(i).padStart(3, "0")}`, { gpus: [i % 25] })
      );
      const { result, online } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const result = yield* r.applyHeartbeats(batch);
          return { result, online: yield* r.countOnline };
        })
      );
      expect(result.applied).toBe(500);
      expect(result.transitions).toHaveLength(500);
      expect(online).toBe(500);
    });

    it("does nothing for an empty batch", async () => {
      expect(await run(AgentRegistry.use((r) => r.applyHeartbeats([])))).toEqual({
        applied: 0,
        ignored: 0,
        transitions: []
      });
    });
  
    describe("boot order", () => {
      const EARLY = "2026-12-05T11:00:00Z";
      const LATE = "2026-12-05T12:00:00Z";
      const bootOf = (agentId: string) =>
        Effect.map(AgentRegistry.use((r) => r.getAgent(agentId)), (a) => Option.getOrThrow(a).boot_id);

      it("never lets a late heartbeat from an older boot overwrite a newer boot, whatever its seq", async () => {
        const boots = await run(
          Effect.gen(function* () {
            const r = yield* AgentRegistry;
            yield* r.applyHeartbeats([heartbeat("b", { boot: BOOT_2, bootStartedAt: LATE, seq: 0 })]);
            const late = yield* r.applyHeartbeats([heartbeat("b", { boot: BOOT_1, bootStartedAt: EARLY, seq: 99 })]);
            return { late, boot: yield* bootOf("b") };
          })
        );
        expect(boots.late).toMatchObject({ applied: 0, ignored: 1 });
        expect(boots.boot).toBe(BOOT_2);
      });

      it("lets a later boot win, and keeps today's rule (another boot wins) when either does not say when it started", async () => {
        const boots = await run(
          Effect.gen(function* () {
            const r = yield* AgentRegistry;
            yield* r.applyHeartbeats([heartbeat("c", { boot: BOOT_1, bootStartedAt: EARLY, seq: 5 })]);
            yield* r.applyHeartbeats([heartbeat("c", { boot: BOOT_2, bootStartedAt: LATE, seq: 0 })]);
            const later = yield* bootOf("c");
            yield* r.applyHeartbeats([heartbeat("c", { boot: BOOT_1, seq: 6 })]);
            return { later, legacy: yield* bootOf("c") };
          })
        );
        expect(boots).toEqual({ later: BOOT_2, legacy: BOOT_1 });
      });

      it("lets an older boot in once the registered boot has been silent longer than the timeout (a clock stepped back)", async () => {
        const boots = await run(
          Effect.gen(function* () {
            const r = yield* AgentRegistry;
            yield* r.applyHeartbeats([heartbeat("d", { boot: BOOT_2, bootStartedAt: LATE, seq: 0 })]);
            yield* exec(sql`update agent_registry set last_heartbeat_at = now() - interval '120 seconds' where agent_id = 'd'`);
            yield* r.applyHeartbeats([heartbeat("d", { boot: BOOT_1, bootStartedAt: EARLY, seq: 0 })], { silentBootSeconds: 90 });
            return yield* bootOf("d");
          })
        );
        expect(boots).toBe(BOOT_1);
      });

      it("within one batch keeps the later boot, not the later message", async () => {
        const result = await run(
          Effect.gen(function* () {
            const r = yield* AgentRegistry;
            yield* r.applyHeartbeats([
              heartbeat("e", { boot: BOOT_2, bootStartedAt: LATE, seq: 3 }),
              heartbeat("e", { boot: BOOT_1, bootStartedAt: EARLY, seq: 50 })
            ]);
            return yield* bootOf("e");
          })
        );
        expect(result).toBe(BOOT_2);
      });
    });
  });
