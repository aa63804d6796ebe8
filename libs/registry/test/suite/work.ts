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
  params: { message: "hi" },
  requirements,
  timeout_seconds: 60
});

const routedTo = (r: RouteRequest) =>
  Effect.gen(function* () {
    const outcome = yield* (yield* WorkRegistry).route(r);
    return outcome._tag === "Booked" ? { agent: outcome.work.agent_id ?? "(queued)", gpu: outcome.work.gpu_index } : outcome.reason;
  });

const result = (workId: string, agentId: string, status: WorkResult["status"] = "succeeded"): WorkResult =>
  ({
    work_id: workId,
    agent_id: agentId,
    status,
    exit_code: status === "succeeded" ? 0 : 1,
    output: "hi\n",
    error: status === "succeeded" ? null : "exited with 1",
    started_at: "2026-11-29T12:00:00.000Z",
    finished_at: "2026-11-29T12:00:01.000Z"
  }) as WorkResult;

export const workTests = (run: Run): void =>
  describe("work routing and lifecycle", () => {
    it("routes to the online agent with the kind that has the most free VRAM on one GPU, and books that GPU", async () => {
      const chosen = await run(
        Effect.gen(function* () {
          yield* (yield* AgentRegistry).applyHeartbeats([
            heartbeat("two-12", { gpus: [12, 12] }),
            heartbeat("one-20", { gpus: [4, 20] }),
            heartbeat("no-kind", { gpus: [24], capabilities: ["transcode"] }),
            heartbeat("cpu-only")
          ]);
          return yield* routedTo(request({ min_vram_gb: 16 }));
        })
      );
      expect(chosen).toEqual({ agent: "one-20", gpu: 1 });
    });

    it("subtracts what active work holds: a second 16 GB job does not land on the GPU the first one booked", async () => {
      const [first, second, third] = await run(
        Effect.gen(function* () {
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("a", { gpus: [24, 18] }), heartbeat("b", { gpus: [17] })]);
          return [
            yield* routedTo(request({ min_vram_gb: 16 })),
            yield* routedTo(request({ min_vram_gb: 16 })),
            yield* routedTo(request({ min_vram_gb: 16 }))
          ];
        })
      );
      expect(first).toEqual({ agent: "a", gpu: 0 }); // 24 free
      expect(second).toEqual({ agent: "a", gpu: 1 }); // a: 8 left on GPU 0, 18 on GPU 1; b: 17
      expect(third).toEqual({ agent: "b", gpu: 0 });
    });

    it("never books the last free 24 GB twice when many requests race for it", async () => {
      const outcomes = await run(
        Effect.gen(function* () {
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("only", { gpus: [24] })]);
          return yield* Effect.all(
            Array.from({ length: 8 }, () => routedTo(request({ min_vram_gb: 20 }))),
            { concurrency: "unbounded" }
          );
        })
      );
      expect(outcomes.filter((o) => typeof o === "object")).toEqual([{ agent: "only", gpu: 0 }]);
      expect(outcomes.filter((o) => typeof o === "string")).toHaveLength(7);
    });

    it("keeps placing jobs by exact free VRAM when the agents that reported the most are all booked", async () => {
      const outcome = await run(
        Effect.gen(function* () {
          // 70 agents with one card each, 20.00..20.69 GB free: the first 64
          // jobs take the 64 best cards, the next 6 must find the rest.
          yield* (yield* AgentRegistry).applyHeartbeats(
            Array.from({ length: 70 }, (_, i) => heartbeat(`card-${String(i).padStart(2, "0")}`, { gpus: [20 + i / 100] }))
          );
          const placed: Array<string> = [];
          for (let i = 0; i < 70; i++) {
            const to = yield* routedTo(request({ min_vram_gb: 16 }));
            if (typeof to === "object") placed.push(to.agent);
          }
          return { placed, next: yield* routedTo(request({ min_vram_gb: 16 })) };
        })
      );
      expect(new Set(outcome.placed).size).toBe(70);
      expect(outcome.placed.slice(0, 2)).toEqual(["card-69", "card-68"]);
      expect(outcome.placed.slice(-1)).toEqual(["card-00"]);
      expect(outcome.next).toMatch(/needs min_vram_gb 16 on one GPU \(most free now: 4\.69 GB\)/);
    });

    it("shows in /capacity what is free after bookings, per GPU, with the bookings beside", async () => {
      const answer = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          yield* agents.applyHeartbeats([heartbeat("booked", { gpus: [24, 10], coresFree: 12, memoryFree: 48 })]);
          yield* routedTo(request({ min_vram_gb: 20, min_cores: 4, min_memory_gb: 16 }));
          return {
            all: yield* agents.capacity({}),
            need12: yield* agents.capacity({ min_vram_gb: 12 })
          };
        })
      );
      expect(answer.all.agents[0]).toMatchObject({
        agent_id: "booked",
        best_gpu_vram_available_gb: 10, // GPU 0: 24 - 20 booked = 4; GPU 1: 10
        vram_available_gb: 14,
        cores_available: 8,
        memory_available_gb: 32,
        booked: { vram_gb: 20, cores: 4, memory_gb: 16 }
      });
      expect(answer.all.totals).toMatchObject({ agents: 1, vram_available_gb: 14, cores_available: 8, memory_available_gb: 32 });
      expect(answer.need12.agents).toEqual([]);
    });

    it("prefers the most free memory, then cores, when that is what is asked, and skips offline and draining agents", async () => {
      const [byMemory, byCores, none] = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          yield* agents.applyHeartbeats([
            heartbeat("mem", { memoryFree: 60, coresFree: 2 }),
            heartbeat("cores", { memoryFree: 10, coresFree: 14 }),
            heartbeat("gone", { memoryFree: 63, coresFree: 15 }),
            heartbeat("leaving", { memoryFree: 63, coresFree: 15, status: "draining" })
          ]);
          yield* agents.markOffline(["gone"], "test");
          return [
            yield* routedTo(request({ min_memory_gb: 8 })),
            yield* routedTo(request({ min_cores: 1 })),
            yield* routedTo(request({ min_cores: 15 }))
          ];
        })
      );
      expect(byMemory).toEqual({ agent: "mem", gpu: null });
      expect(byCores).toEqual({ agent: "cores", gpu: null });
      // 14 free on "cores", less the 1 core the job before booked there.
      expect(none).toMatch(/none of the 2 online agents with kind "echo" has room: needs min_cores 15 \(most free now: 13\)/);
    });

    it("says why nothing fits: no agent online, no agent with the kind, every one draining, wrong GPU type, not enough VRAM", async () => {
      const reasons = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const empty = yield* routedTo(request());
          yield* agents.applyHeartbeats([heartbeat("n", { gpus: [10], status: "draining" })]);
          const noKind = yield* routedTo(request({}, "transcode"));
          const draining = yield* routedTo(request());
          yield* agents.applyHeartbeats([heartbeat("m", { gpus: [10, 6] })]);
          const amd = yield* routedTo(request({ gpu_type: "amd" }));
          const vram = yield* routedTo(request({ min_vram_gb: 12 }));
          return { empty, noKind, draining, amd, vram };
        })
      );
      expect(reasons).toEqual({
        empty: "no agent is online",
        noKind: 'no online agent advertises kind "transcode" (1 online)',
        draining: 'every online agent with kind "echo" is draining',
        amd: 'no online agent with kind "echo" has gpu_type amd',
        vram:
          'none of the 1 online agent with kind "echo" has room: needs min_vram_gb 12 on one GPU (most free now: 10 GB); free capacity is the last heartbeat minus work already running there'
      });
    });

    it("takes work through dispatched, running (listed in current_work) and the agent's result, which releases the allocation", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const work = yield* WorkRegistry;
          yield* agents.applyHeartbeats([heartbeat("w", { gpus: [24] })]);
          const r = request({ min_vram_gb: 20 });
          yield* work.route(r);
          const states = [Option.map(yield* work.get(r.work_id), (w) => w.state)];
          yield* work.markDispatched(r.work_id);
          states.push(Option.map(yield* work.get(r.work_id), (w) => w.state));
          const running = yield* work.markRunning([{ agent_id: "w", current_work: [r.work_id] }]);
          states.push(Option.map(yield* work.get(r.work_id), (w) => w.state));
          const whileRunning = yield* routedTo(request({ min_vram_gb: 20 }));
          const recorded = yield* work.recordResult(result(r.work_id, "w"));
          const again = yield* work.recordResult(result(r.work_id, "w"));
          const afterResult = yield* routedTo(request({ min_vram_gb: 20 }));
          const stored = yield* work.get(r.work_id);
          return { states, running, whileRunning, recorded, again, afterResult, stored };
        })
      );
      expect(seen.states).toEqual([Option.some("pending"), Option.some("dispatched"), Option.some("running")]);
      expect(seen.running).toHaveLength(1);
      expect(seen.whileRunning).toMatch(/needs min_vram_gb 20 on one GPU \(most free now: 4 GB\)/);
      expect(seen.recorded).toEqual({ _tag: "Recorded", previous: "running" });
      expect(seen.again).toEqual({ _tag: "AlreadyFinished", state: "succeeded" });
      expect(seen.afterResult).toEqual({ agent: "w", gpu: 0 });
      const stored = Option.getOrThrow(seen.stored);
      expect(stored).toMatchObject({ state: "succeeded", reason: null, allocation: { vram_gb: 20, cores: 0, memory_gb: 0 } });
      expect(stored.result?.output).toBe("hi\n");
      expect([stored.dispatched_at, stored.started_at, stored.finished_at].every((t) => t !== null)).toBe(true);
    });

    it("tells an unknown work_id and a result from the wrong agent apart from a recorded one", async () => {
      const outcomes = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("right")]);
          const r = request();
          yield* work.route(r);
          return [yield* work.recordResult(result(randomUUID(), "right")), yield* work.recordResult(result(r.work_id, "other"))];
        })
      );
      expect(outcomes).toEqual([{ _tag: "UnknownWork" }, { _tag: "WrongAgent", assignedTo: "right" }]);
    });

    it("marks active work lost when its agent goes offline, and keeps a late result beside it without changing its state", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("x"), heartbeat("y")]);
          const onX = request({ min_cores: 1 });
          yield* work.route(onX); // x and y tie on cores: agent_id order picks x
          const offline = yield* (yield* AgentRegistry).markOffline(["x"], "no heartbeat for over 90 s");
          const lost = offline.flatMap((t) => t.lost_work);
          const stored = yield* work.get(onX.work_id);
          const late = yield* work.recordResult(result(onX.work_id, "x", "failed"));
          const after = yield* work.get(onX.work_id);
          return { lost, stored, late, after };
        })
      );
      expect(seen.lost).toHaveLength(1);
      expect(Option.getOrThrow(seen.stored)).toMatchObject({
        agent_id: "x",
        state: "lost",
        reason: "agent x went offline: no heartbeat for over 90 s"
      });
      expect(seen.late).toEqual({ _tag: "Late", state: "lost" });
      expect(Option.getOrThrow(seen.after)).toMatchObject({
        state: "lost",
        reason: "agent x went offline: no heartbeat for over 90 s",
        result: null,
        late_result: { status: "failed" }
      });
    });

    it("times out work with no result past its timeout plus the grace, and only that work", async () => {
      const seen = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("t")]);
          const old = { ...request(), timeout_seconds: 10 };
          const fresh = { ...request(), timeout_seconds: 10 };
          yield* work.route(old);
          yield* work.route(fresh);
          yield* work.markDispatched(old.work_id);
          yield* exec(sql`update work set dispatched_at = now() - interval '41 seconds' where work_id = ${old.work_id}`);
          const timedOut = yield* work.timeOut(30);
          return { timedOut, old: yield* work.get(old.work_id), fresh: yield* work.get(fresh.work_id), oldId: old.work_id };
        })
      );
      expect(seen.timedOut).toEqual([seen.oldId]);
      expect(Option.getOrThrow(seen.old).state).toBe("timed_out");
      expect(Option.getOrThrow(seen.fresh).state).toBe("pending");
    });

    it("lists work newest first, filtered by state and agent (two jobs asking nothing go to two agents)", async () => {
      const listed = await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("p", { coresFree: 14 }), heartbeat("q", { coresFree: 2 })]);
          const a = request();
          const b = request();
          yield* work.route(a);
          yield* work.route(b);
          yield* work.recordResult(result(a.work_id, "p"));
          return {
            all: (yield* work.list({})).length,
            succeeded: (yield* work.list({ state: "succeeded" })).map((w) => w.work_id),
            onQ: (yield* work.list({ agent: "q" })).length,
            limited: (yield* work.list({ limit: 1 })).length,
            a: a.work_id
          };
        })
      );
      expect(listed).toEqual({ all: 2, succeeded: [listed.a], onQ: 1, limited: 1, a: listed.a });
    });
  });
