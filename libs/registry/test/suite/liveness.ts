import { Effect, Option } from "effect";
import { AgentRegistry, SHUTDOWN_REASON } from "../../src/index.ts";
import { ageHeartbeat, BOOT_1, BOOT_2, heartbeat, storedTransitions } from "../fixtures.ts";
import type { Run } from "./run.ts";

export const livenessTests = (run: Run): void =>
  describe("liveness", () => {
    it("finds online agents whose last heartbeat is older than the timeout, by the database clock", async () => {
      const stale = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("fresh"), heartbeat("quiet"), heartbeat("silent"), heartbeat("gone")]);
          yield* ageHeartbeat("quiet", 30);
          yield* ageHeartbeat("silent", 120);
          yield* ageHeartbeat("gone", 600);
          yield* r.markOffline(["gone"], "agent_shutdown");
          return yield* r.findStale(60);
        })
      );
      expect(stale).toEqual(["silent"]);
    });

    it("answers the seconds until the earliest online agent's heartbeat is older than the timeout, by the database clock; none with nobody online", async () => {
      const { none, due, past, afterBeat, allOffline } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const none = yield* r.nextOfflineDeadline(60);
          yield* r.applyHeartbeats([heartbeat("fresh", { seq: 1 }), heartbeat("quiet", { seq: 1 }), heartbeat("gone", { seq: 1 })]);
          yield* ageHeartbeat("quiet", 45.5);
          // Offline agents have no deadline, however old their heartbeat.
          yield* ageHeartbeat("gone", 600);
          yield* r.markOffline(["gone"], "agent_shutdown");
          const due = yield* r.nextOfflineDeadline(60);
          yield* ageHeartbeat("quiet", 75);
          const past = yield* r.nextOfflineDeadline(60);
          // Its heartbeat moves the deadline: the next one is fresh's.
          yield* r.applyHeartbeats([heartbeat("quiet", { seq: 2 })]);
          yield* ageHeartbeat("fresh", 10);
          const afterBeat = yield* r.nextOfflineDeadline(60);
          yield* r.markOffline(["fresh", "quiet"], "agent_shutdown");
          const allOffline = yield* r.nextOfflineDeadline(60);
          return { none, due, past, afterBeat, allOffline };
        })
      );
      expect(none).toEqual(Option.none());
      expect(allOffline).toEqual(Option.none());
      // 60 - 45.5 s, less the moments between the statements.
      expect(Option.getOrThrow(due)).toBeGreaterThan(13.5);
      expect(Option.getOrThrow(due)).toBeLessThanOrEqual(14.5);
      expect(Option.getOrThrow(past)).toBeGreaterThan(-16);
      expect(Option.getOrThrow(past)).toBeLessThanOrEqual(-15);
      expect(Option.getOrThrow(afterBeat)).toBeGreaterThan(49);
      expect(Option.getOrThrow(afterBeat)).toBeLessThanOrEqual(50);
    });

    it("marks online agents offline, records each transition, and leaves agents already offline alone", async () => {
      const { first, second, agent, online, stored } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("a"), heartbeat("b"), heartbeat("c")]);
          const first = yield* r.markOffline(["b", "a", "unknown"], "no heartbeat for over 90 s");
          const second = yield* r.markOffline(["a"], "again");
          return {
            first,
            second,
            agent: Option.getOrThrow(yield* r.getAgent("a")),
            online: yield* r.countOnline,
            stored: yield* storedTransitions
          };
        })
      );
      expect(first.map((t) => [t.agent_id, t.from, t.to, t.reason])).toEqual([
        ["a", "online", "offline", "no heartbeat for over 90 s"],
        ["b", "online", "offline", "no heartbeat for over 90 s"]
      ]);
      expect(second).toEqual([]);
      expect(agent.status).toBe("offline");
      expect(online).toBe(1);
      expect(stored.filter((t) => t.to_status === "offline").map((t) => t.agent_id)).toEqual(["a", "b"]);
    });

    it("leaves online an agent the sweep found silent but that heartbeated before it was marked", async () => {
      const marked = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("late-beat", { seq: 1 }), heartbeat("still-silent", { seq: 1 })]);
          yield* ageHeartbeat("late-beat", 120);
          yield* ageHeartbeat("still-silent", 120);
          const stale = yield* r.findStale(60);
          // Between the sweep's read and its write, one of them beats again.
          yield* r.applyHeartbeats([heartbeat("late-beat", { seq: 2 })]);
          const transitions = yield* r.markOffline(stale, "no heartbeat for over 60 s", { silentForSeconds: 60 });
          return { stale, marked: transitions.map((t) => t.agent_id), late: yield* r.getAgent("late-beat") };
        })
      );
      expect(marked.stale).toEqual(["late-beat", "still-silent"]);
      expect(marked.marked).toEqual(["still-silent"]);
      expect(Option.map(marked.late, (a) => a.status)).toEqual(Option.some("online"));
    });

    it("brings an offline agent back online on its next heartbeat, with a transition from offline", async () => {
      const { result, agent, stored } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("a", { seq: 1 })]);
          yield* r.markOffline(["a"], "no heartbeat for over 90 s");
          const result = yield* r.applyHeartbeats([heartbeat("a", { seq: 2 })]);
          return { result, agent: Option.getOrThrow(yield* r.getAgent("a")), stored: yield* storedTransitions };
        })
      );
      expect(result.transitions).toEqual([
        { agent_id: "a", from: "offline", to: "online", at: expect.stringMatching(/Z$/), reason: "heartbeat" }
      ]);
      expect(agent.status).toBe("online");
      expect(stored.map((t) => [t.from_status, t.to_status])).toEqual([
        [null, "online"],
        ["online", "offline"],
        ["offline", "online"]
      ]);
    });

    it("keeps offline a boot that announced its shutdown when its own earlier heartbeat arrives late, and brings the agent back with its next boot", async () => {
      // Two orchestrators share the reply queue: one applies the shutdown while
      // the other still holds the boot's last (draining) heartbeat in a batch.
      const { late, afterLate, next, afterNext } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("stopping", { seq: 1 })]);
          yield* r.markOffline(["stopping"], SHUTDOWN_REASON, { bootId: BOOT_1 });
          const late = yield* r.applyHeartbeats([heartbeat("stopping", { seq: 2, status: "draining" })]);
          const afterLate = Option.getOrThrow(yield* r.getAgent("stopping"));
          const next = yield* r.applyHeartbeats([heartbeat("stopping", { seq: 0, boot: BOOT_2 })]);
          const afterNext = Option.getOrThrow(yield* r.getAgent("stopping"));
          return { late, afterLate, next, afterNext };
        })
      );
      expect(late).toEqual({ applied: 0, ignored: 1, transitions: [] });
      expect([afterLate.status, afterLate.offline_reason]).toEqual(["offline", SHUTDOWN_REASON]);
      expect(next.transitions.map((t) => [t.from, t.to])).toEqual([["offline", "online"]]);
      expect([afterNext.status, afterNext.boot_id]).toEqual(["online", BOOT_2]);
    });

    it("counts only online agents", async () => {
      const online = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          yield* r.applyHeartbeats([heartbeat("a"), heartbeat("b"), heartbeat("c")]);
          yield* r.markOffline(["c"], "agent_shutdown");
          return yield* r.countOnline;
        })
      );
      expect(online).toBe(2);
    });
  });
