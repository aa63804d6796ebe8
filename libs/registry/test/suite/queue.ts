import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { Effect, Option } from "effect";
import type { WorkResult } from "@homelab/protocol";
import { AgentRegistry, type RouteRequest, type RouteRequirements, WorkRegistry } from "../../src/index.ts";
import { exec, heartbeat } from "../fixtures.ts";
import type { Run } from "./run.ts";

const request = (requirements: RouteRequirements = {}, kind = "echo"): RouteRequest => ({
  work_id: randomUUID(),
  kind,
  params: {},
  requirements,
  timeout_seconds: 60
});

const done = (workId: string, agentId: string): WorkResult =>
  ({
    work_id: workId,
    agent_id: agentId,
    status: "succeeded",
    exit_code: 0,
    output: "",
    error: null,
    started_at: "2026-12-06T12:00:00.000Z",
    finished_at: "2026-12-06T12:00:01.000Z"
  }) as WorkResult;

/** Queues a job (as POST /work does when nothing has room) and returns its id. */
const enqueue = (r: RouteRequest, priority = 0, maxWaitSeconds?: number) =>
  Effect.gen(function* () {
    yield* (yield* WorkRegistry).enqueue(r, { priority, maxWaitSeconds });
    return r.work_id;
  });

export const queueTests = (run: Run): void =>
  describe("the work queue", () => {
    it("places queued jobs by priority, then age, as room appears; a shape that does not fit does not hold back a smaller one", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("gpu-box", { gpus: [24] })]);
          const running = request({ min_vram_gb: 20 });
          yield* work.route(running);
          // 4 GB free now: none of these fit, except the 2 GB one.
          const old16 = yield* enqueue(request({ min_vram_gb: 16 }));
          const urgent16 = yield* enqueue(request({ min_vram_gb: 16 }), 5);
          const new16 = yield* enqueue(request({ min_vram_gb: 16 }));
          const small = yield* enqueue(request({ min_vram_gb: 2 }));
          const queue = (yield* work.queue(100)).map((w) => [w.work_id, w.position]);
          const firstPass = (yield* work.place(undefined)).map((w) => w.work_id);
          // The 20 GB job ends: 22 GB free (24 minus the 2 GB job) → one 16 GB job, the urgent one.
          yield* work.recordResult(done(running.work_id, "gpu-box"));
          const secondPass = (yield* work.place(["gpu-box"])).map((w) => w.work_id);
          const left = (yield* work.queue(100)).map((w) => w.work_id);
          return { queue, firstPass, secondPass, left, ids: { old16, urgent16, new16, small } };
        })
      );
      const { old16, urgent16, new16, small } = seen.ids;
      expect(seen.queue).toEqual([
        [urgent16, 1],
        [old16, 2],
        [new16, 3],
        [small, 4]
      ]);
      expect(seen.firstPass).toEqual([small]);
      expect(seen.secondPass).toEqual([urgent16]);
      expect(seen.left).toEqual([old16, new16]);
    });

    it("with several placers racing over one free slot, places each job once and books the agent once", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("one", { gpus: [24], slots: 4 })]);
          const ids: Array<string> = [];
          for (let i = 0; i < 6; i++) ids.push(yield* enqueue(request({ min_vram_gb: 10 })));
          const passes = yield* Effect.all(
            Array.from({ length: 5 }, () => work.place(undefined)),
            { concurrency: "unbounded" }
          );
          const placed = passes.flat().map((w) => w.work_id);
          const booked = (yield* work.list({ state: "pending", agent: "one" })).length;
          return { placed, booked, ids };
        })
      );
      // 24 GB fits two 10 GB jobs: exactly two placed, each once, in queue order.
      expect(seen.placed).toEqual(seen.ids.slice(0, 2));
      expect(seen.booked).toBe(2);
    });

    it("counts free slots: jobs asking nothing spread two and two over two idle agents, and none goes to a full agent", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("left", { slots: 2 }), heartbeat("right", { slots: 2 })]);
          const placed: Array<string | null> = [];
          for (let i = 0; i < 4; i++) {
            const outcome = yield* work.route(request());
            placed.push(outcome._tag === "Booked" ? outcome.work.agent_id : null);
          }
          const fifth = yield* work.route(request());
          return { placed, fifth: fifth._tag };
        })
      );
      expect([...seen.placed].sort()).toEqual(["left", "left", "right", "right"]);
      expect(seen.placed[0]).not.toBe(seen.placed[1]);
      expect(seen.fifth).toBe("NoFit");
    });

    it("honours a kind's requires from the heartbeat: a job without requirements is not sent where its kind cannot run, and books what the kind needs", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([
            heartbeat("small-card", { gpus: [6], capabilities: ["render"], taskRequires: { render: { min_vram_gb: 8 } } }),
            heartbeat("big-card", { gpus: [12], capabilities: ["render"], taskRequires: { render: { min_vram_gb: 8 } } })
          ]);
          const first = yield* work.route(request({}, "render"));
          const second = yield* work.route(request({}, "render"));
          return {
            first: first._tag === "Booked" ? [first.work.agent_id, first.work.allocation.vram_gb] : first.reason,
            second: second._tag
          };
        })
      );
      expect(seen.first).toEqual(["big-card", 8]);
      expect(seen.second).toBe("NoFit");
    });

    it("finds an idle agent whose kind fits even when the 60 with more free VRAM all have a kind that requires another GPU type", async () => {
      const chosen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([
            ...Array.from({ length: 60 }, (_, i) =>
              heartbeat(`amd-only-${String(i).padStart(2, "0")}`, { gpus: [20], capabilities: ["render"], taskRequires: { render: { gpu_type: "amd" } } })
            ),
            heartbeat("plain-10", { gpus: [10], capabilities: ["render"] })
          ]);
          const outcome = yield* work.route(request({ min_vram_gb: 5 }, "render"));
          return outcome._tag === "Booked" ? outcome.work.agent_id : outcome.reason;
        })
      );
      expect(chosen).toBe("plain-10");
    });

    it("gives a drained agent nothing new, keeps it drained across heartbeats, and places on it again once resumed", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const work = yield* WorkRegistry;
          yield* agents.applyHeartbeats([heartbeat("d")]);
          const drained = yield* agents.setDrained("d", true);
          yield* agents.applyHeartbeats([heartbeat("d", { seq: 2 })]);
          const whileDrained = yield* work.route(request());
          const waiting = yield* work.waitingReason(request());
          yield* agents.setDrained("d", false);
          const resumed = yield* work.route(request());
          const unknown = yield* agents.setDrained("nobody", true);
          return {
            drained: Option.map(drained, (a) => a.drained),
            stillDrained: Option.map(yield* agents.getAgent("d"), (a) => a.drained),
            whileDrained: whileDrained._tag,
            waiting,
            resumed: resumed._tag,
            unknown: Option.isNone(unknown)
          };
        })
      );
      expect(seen).toEqual({
        drained: Option.some(true),
        stillDrained: Option.some(false),
        whileDrained: "NoFit",
        waiting: 'every online agent with kind "echo" is draining',
        resumed: "Booked",
        unknown: true
      });
    });

    it("says why a job waits: the nearest agent's shortfall and how many agents are busy; refuses a job no agent could ever take", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([
            heartbeat("gaming-pc", { gpus: [9.8], slots: 2 }),
            heartbeat("busy-box", { gpus: [24], slots: 1 })
          ]);
          yield* work.route(request({ min_vram_gb: 1 })); // takes busy-box's only slot (most free VRAM)
          const waiting = yield* work.waitingReason(request({ min_vram_gb: 16 }));
          const never = yield* work.impossible(request({ min_vram_gb: 100 }));
          const noKind = yield* work.impossible(request({}, "transcode"));
          const possible = yield* work.impossible(request({ min_vram_gb: 16 }));
          return { waiting, never, noKind, possible };
        })
      );
      expect(seen.waiting).toBe('gpu0 on gaming-pc has 9.8 of 16 GB free; 1 agent with kind "echo" is busy');
      expect(Option.getOrNull(seen.never)).toBe(
        'no registered agent with kind "echo" could take it even with nothing else running: needs min_vram_gb 100 on one GPU (the largest has 24 GB)'
      );
      expect(Option.getOrNull(seen.noKind)).toBe('no registered agent advertises kind "transcode", so it could never run');
      expect(Option.isNone(seen.possible)).toBe(true);
    });

    it("expires a queued job past its max wait, cancels a queued or running one, and refuses to cancel one that ended", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("c", { slots: 1 })]);
          const running = request();
          yield* work.route(running);
          const patient = yield* enqueue(request());
          const hasty = yield* enqueue(request(), 0, 30);
          yield* exec(sql`update work set queue_expires_at = now() - interval '1 second' where work_id = ${hasty}`);
          const expired = yield* work.expire;
          const cancelQueued = yield* work.cancel(patient);
          const cancelRunning = yield* work.cancel(running.work_id);
          const again = yield* work.cancel(running.work_id);
          // The agent's own word on the cancelled job is its result; any other late word is kept beside.
          const confirmed = yield* work.recordResult({ ...done(running.work_id, "c"), status: "cancelled", output: "so far\n" });
          const unknown = yield* work.cancel(randomUUID());
          return {
            expired,
            hasty,
            cancelQueued,
            cancelRunning,
            again,
            confirmed,
            unknown,
            stored: Option.map(yield* work.get(running.work_id), (w) => [w.state, w.result?.output, w.reason])
          };
        })
      );
      expect(seen.expired).toEqual([seen.hasty]);
      expect(seen.cancelQueued).toEqual({ _tag: "Cancelled", agentId: null, previous: "queued" });
      expect(seen.cancelRunning).toEqual({ _tag: "Cancelled", agentId: "c", previous: "pending" });
      expect(seen.again).toEqual({ _tag: "AlreadyEnded", state: "cancelled" });
      expect(seen.confirmed).toEqual({ _tag: "Recorded", previous: "cancelled" });
      expect(seen.unknown).toEqual({ _tag: "UnknownWork" });
      expect(seen.stored).toEqual(Option.some(["cancelled", "so far\n", "cancelled by request"]));
    });
  });
