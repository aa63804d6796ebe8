import { sql } from "drizzle-orm";
import { Effect, Option } from "effect";
import { AgentRegistry, WorkRegistry } from "../../src/index.ts";
import { BOOT_2, exec, heartbeat } from "../fixtures.ts";
import type { Run } from "./run.ts";

const far = { since: "2000-01-01T00:00:00.000Z", until: "2100-01-01T00:00:00.000Z" };

export const historyTests = (run: Run): void =>
  describe("history and what changed (the live page)", () => {
    it("keeps the first heartbeat of each minute as the agent's sample, and later ones in the minute change nothing", async () => {
      const points = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("hist-a", { seq: 1, coresFree: 10, gpus: [20] })]);
          yield* r.applyHeartbeats([heartbeat("hist-a", { seq: 2, coresFree: 4, gpus: [2] })]);
          // A sample from an earlier minute, as if written then.
          yield* exec(sql`insert into agent_history select agent_id, minute - interval '5 minutes', 9, cpu_cores_total, memory_total_gb, 1, gpus from agent_history where agent_id = 'hist-a'`);
          return yield* r.history("hist-a", far.since, far.until);
        })
      );
      expect(points).toHaveLength(2);
      const [older, first] = points;
      expect(Date.parse(first!.at) - Date.parse(older!.at)).toBe(5 * 60_000);
      expect(first!.at).toMatch(/:00\.000Z$/);
      // 16 cores, 10 free: load 6; the later heartbeat (load 12) did not replace it.
      expect([first!.cpu_load_1min, first!.cpu_cores_total, first!.memory_total_gb]).toEqual([6, 16, 64]);
      expect(first!.gpus.map((g) => g.vram_available_gb)).toEqual([20]);
      expect(older!.cpu_load_1min).toBe(9);
    });

    it("answers only the asked range, and writes nothing when history is off", async () => {
      const { inRange, off } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("hist-b")]);
          yield* r.applyHeartbeats([heartbeat("hist-off")], { history: false });
          const now = Date.now();
          const inRange = yield* r.history("hist-b", new Date(now + 60_000).toISOString(), new Date(now + 120_000).toISOString());
          return { inRange, off: yield* r.history("hist-off", far.since, far.until) };
        })
      );
      expect(inRange).toEqual([]);
      expect(off).toEqual([]);
    });

    it("prunes samples older than the retention and keeps the rest", async () => {
      const { pruned, left } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("hist-c")]);
          yield* exec(sql`insert into agent_history select agent_id, minute - interval '8 days', cpu_load_1min, cpu_cores_total, memory_total_gb, memory_available_gb, gpus from agent_history where agent_id = 'hist-c'`);
          const pruned = yield* r.pruneHistory(7);
          return { pruned, left: yield* r.history("hist-c", far.since, far.until) };
        })
      );
      expect(pruned).toBeGreaterThanOrEqual(1);
      expect(left).toHaveLength(1);
    });

    it("says why an agent is offline (stopped cleanly or timed out) and forgets it when the agent is back", async () => {
      const reasons = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const reason = (id: string) => Effect.map(r.getAgent(id), (a) => Option.getOrThrow(a).offline_reason);
          yield* r.applyHeartbeats([heartbeat("why-a", { seq: 1 }), heartbeat("why-b", { seq: 1 })]);
          const online = yield* reason("why-a");
          yield* r.markOffline(["why-a"], "agent_shutdown");
          yield* r.markOffline(["why-b"], "no heartbeat for over 90 s");
          const offline = [yield* reason("why-a"), yield* reason("why-b")];
          // Back with its next boot (a stopped boot's own heartbeats never revive it).
          yield* r.applyHeartbeats([heartbeat("why-a", { seq: 0, boot: BOOT_2 })]);
          return { online, offline, back: yield* reason("why-a") };
        })
      );
      expect(reasons).toEqual({ online: null, offline: ["agent_shutdown", "no heartbeat for over 90 s"], back: null });
    });

    it("lists the agents and work changed since a moment, by the database clock, including a drain", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const w = yield* WorkRegistry;
          yield* r.applyHeartbeats([heartbeat("chg-a"), heartbeat("chg-b")]);
          // The mark is to the millisecond: step past the heartbeats' own.
          yield* exec(sql`select pg_sleep(0.01)`);
          const mark = yield* r.databaseNow;
          yield* r.setDrained("chg-b", true);
          const agents = yield* r.listAgents({ updatedSince: mark });
          const workBefore = yield* w.list({ updatedSince: mark, limit: 1000 });
          yield* w.enqueue({ work_id: "0b7e6f4e-3f51-4c1e-9a53-6a2f0c1d2eff", kind: "echo", params: {}, requirements: { min_vram_gb: 999 }, timeout_seconds: 60 }, { priority: 0, maxWaitSeconds: undefined });
          const workAfter = yield* w.list({ updatedSince: mark, states: ["queued"], limit: 1000 });
          return { mark, agents: agents.map((a) => a.agent_id), workBefore: workBefore.length, workAfter: workAfter.map((x) => x.work_id) };
        })
      );
      expect(seen.mark).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(seen.agents).toEqual(["chg-b"]);
      expect(seen.workBefore).toBe(0);
      expect(seen.workAfter).toEqual(["0b7e6f4e-3f51-4c1e-9a53-6a2f0c1d2eff"]);
    });

    it("lists who changed since a moment without their figures, with a signature that moves only with what a page shows at once", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("sig-a", { seq: 1 }), heartbeat("sig-b", { seq: 1 }), heartbeat("sig-c", { seq: 1 })]);
          const signature = (id: string) =>
            Effect.map(r.agentChanges("1970-01-01T00:00:00.000Z"), (all) => all.find((c) => c.agent_id === id)?.signature);
          const before = { a: yield* signature("sig-a"), b: yield* signature("sig-b"), c: yield* signature("sig-c") };
          yield* exec(sql`select pg_sleep(0.01)`);
          const mark = yield* r.databaseNow;
          // a: only figures move; b: its own status; c: drained through the API.
          yield* r.applyHeartbeats([heartbeat("sig-a", { seq: 2, coresFree: 3, gpus: [7] }), heartbeat("sig-b", { seq: 2, status: "busy" })]);
          yield* r.setDrained("sig-c", true);
          const changes = yield* r.agentChanges(mark);
          const after = { a: yield* signature("sig-a"), b: yield* signature("sig-b"), c: yield* signature("sig-c") };
          const picked = yield* r.listAgents({ ids: ["sig-c", "sig-a", "nobody"] });
          return { before, after, changed: changes.map((c) => c.agent_id), mark, at: changes.map((c) => c.updated_at), picked: picked.map((a) => a.agent_id) };
        })
      );
      expect(seen.changed).toEqual(["sig-a", "sig-b", "sig-c"]);
      expect(seen.at.every((at) => at >= seen.mark && /Z$/.test(at))).toBe(true);
      expect(seen.after.a).toBe(seen.before.a);
      expect(seen.after.b).not.toBe(seen.before.b);
      expect(seen.after.c).not.toBe(seen.before.c);
      expect(seen.picked).toEqual(["sig-a", "sig-c"]);
    });
  });
