// The work queue with real processes: the real orchestrator and desktop
// agents, jobs submitted over HTTP. Each scenario uses agents and a task kind
// of its own, so the router never mixes them.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Effect } from "effect";
import { makeFakeGpuTools, nvidiaCsv, runLive, type FakeGpuTools } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually } from "./support/childProcess.ts";
import { getAgent, type RunningOrchestrator } from "./support/orchestratorProcess.ts";
import { suiteResources } from "./support/suite.ts";
import { orchestratedSystem } from "./support/system.ts";
import { finished, submit, workView, type WorkView } from "./support/work.ts";

beforeAll(requireAgentBundle);

/** One 24 GB card with all of it free. */
const CARD_24 = { index: 0, uuid: "GPU-00000000-0000-4000-8000-000000000024", name: "NVIDIA GeForce RTX 3090", totalMiB: 24576, usedMiB: 0, freeMiB: 24576, utilization: 0, temperature: 30 };

const suite = suiteResources(
  Effect.gen(function* () {
    const system = yield* orchestratedSystem("queue_system", { heartbeatTimeoutSeconds: 3, sweepIntervalSeconds: 1, env: { WORK_RESULT_GRACE_SECONDS: "5" } });
    const scratch = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(path.join(os.tmpdir(), "queue-system-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    );
    return { ...system, scratch };
  }),
  60_000
);

/** An agent with these task kinds (YAML under `tasks:`), up and online. */
const agentWith = (base: string, tasks: string, options: { readonly slots?: number; readonly gpu?: boolean } = {}) =>
  Effect.gen(function* () {
    const { orchestrator, replyQueue, newAgentId } = suite();
    const agentId = newAgentId(base);
    const tools =
      options.gpu === true
        ? yield* Effect.acquireRelease(
            Effect.sync(() => {
              const t = makeFakeGpuTools();
              t.answer("nvidia-smi", { stdout: nvidiaCsv([CARD_24]) });
              return t;
            }),
            (t: FakeGpuTools) => Effect.sync(() => t.remove())
          )
        : undefined;
    const child = yield* startAgent({
      agentId,
      replyQueue,
      config: `max_concurrent_work: ${options.slots ?? 2}\ntasks:\n${tasks}`,
      env: tools === undefined ? {} : { GPU_BACKEND: "nvidia", PATH: tools.path }
    });
    yield* Effect.promise(() => eventually(`agent ${agentId} online`, () => getAgent(orchestrator, agentId), (a) => a?.status === "online", AGENT_UP_MS));
    return { agentId, child };
  });

const call = async (orchestrator: RunningOrchestrator, method: string, urlPath: string) => {
  const response = await fetch(`${orchestrator.baseUrl}${urlPath}`, { method });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const queued = async (orchestrator: RunningOrchestrator) =>
  (await orchestrator.get("/work?status=queued")).body as ReadonlyArray<WorkView & { position: number; waiting_reason: string }>;

const processGone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe("the work queue (real orchestrator and agents)", () => {
  it("one 24 GB card, five 16 GB jobs: one runs, four wait in order with why, and each starts when the one before ends", async () => {
    const { orchestrator } = suite();
    const outcome = await runLive(
      Effect.gen(function* () {
        const { agentId } = yield* agentWith("card24", `  gpujob:\n    command: ["sleep", "{seconds}"]\n`, { slots: 4, gpu: true });
        const jobs: Array<WorkView> = [];
        for (let i = 0; i < 5; i++) {
          jobs.push(yield* Effect.promise(() => submit(orchestrator, { kind: "gpujob", params: { seconds: "2" }, requirements: { min_vram_gb: 16 } })));
        }
        const waiting = yield* Effect.promise(() => queued(orchestrator));
        const done = yield* Effect.promise(() => Promise.all(jobs.map((j) => finished(orchestrator, j.work_id, 40_000))));
        return { agentId, jobs, waiting, done };
      })
    );
    expect(outcome.jobs.map((j) => j.state)).toEqual(["dispatched", "queued", "queued", "queued", "queued"]);
    expect(outcome.waiting.map((w) => [w.work_id, w.position])).toEqual(outcome.jobs.slice(1).map((j, i) => [j.work_id, i + 1]));
    for (const w of outcome.waiting) expect(w.waiting_reason).toBe(`gpu0 on ${outcome.agentId} has 8 of 16 GB free`);
    expect(outcome.done.map((d) => d.state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]);
    // One at a time, in submission order, each started right after the one before ended (no polling delay).
    for (let i = 1; i < 5; i++) {
      const previousEnd = Date.parse(outcome.done[i - 1]?.result?.finished_at ?? "");
      const start = Date.parse(outcome.done[i]?.result?.started_at ?? "");
      expect(start).toBeGreaterThanOrEqual(previousEnd);
      expect(start - previousEnd).toBeLessThan(3000);
    }
  }, 90_000);

  it("cancelling a running `sleep 600` kills its process and ends it cancelled; cancelling it again is 409", async () => {
    const { orchestrator, scratch } = suite();
    const pidFile = path.join(scratch, "sleeper.pid");
    const outcome = await runLive(
      Effect.gen(function* () {
        yield* agentWith("canceller", `  longsleep:\n    command: ["sh", "-c", "echo $$ > \\"$1\\"; exec sleep 600", "sh", "{pidfile}"]\n`);
        const job = yield* Effect.promise(() => submit(orchestrator, { kind: "longsleep", params: { pidfile: pidFile } }));
        yield* Effect.promise(() => eventually("the sleeper running", () => workView(orchestrator, job.work_id), (w) => w.state === "running" && existsSync(pidFile), 15_000));
        const pid = Number(readFileSync(pidFile, "utf8").trim());
        const alive = !processGone(pid);
        const cancelled = yield* Effect.promise(() => call(orchestrator, "DELETE", `/work/${job.work_id}`));
        yield* Effect.promise(() => eventually(`pid ${pid} gone`, async () => processGone(pid), (gone) => gone, 10_000));
        const reported = yield* Effect.promise(() => eventually("the agent's cancelled result", () => workView(orchestrator, job.work_id), (w) => w.result !== null, 10_000));
        const again = yield* Effect.promise(() => call(orchestrator, "DELETE", `/work/${job.work_id}`));
        return { alive, cancelled, reported, again };
      })
    );
    expect(outcome.alive).toBe(true);
    expect(outcome.cancelled).toMatchObject({ status: 200, body: { state: "cancelled" } });
    expect(outcome.reported.state).toBe("cancelled");
    expect(outcome.reported.result?.status).toBe("cancelled");
    expect(outcome.again.status).toBe(409);
  }, 60_000);

  it("a job that waits past its max_wait_seconds ends expired", async () => {
    const { orchestrator } = suite();
    const outcome = await runLive(
      Effect.gen(function* () {
        yield* agentWith("one-slot", `  block:\n    command: ["sleep", "{seconds}"]\n`, { slots: 1 });
        const running = yield* Effect.promise(() => submit(orchestrator, { kind: "block", params: { seconds: "30" } }));
        yield* Effect.promise(() => eventually("the blocker running", () => workView(orchestrator, running.work_id), (w) => w.state === "running", 15_000));
        const hasty = yield* Effect.promise(() => submit(orchestrator, { kind: "block", params: { seconds: "1" }, max_wait_seconds: 2 }));
        const ended = yield* Effect.promise(() => finished(orchestrator, hasty.work_id, 10_000));
        yield* Effect.promise(() => call(orchestrator, "DELETE", `/work/${running.work_id}`));
        return { hasty, ended };
      })
    );
    expect(outcome.hasty.state).toBe("queued");
    expect(outcome.ended).toMatchObject({ state: "expired", agent_id: null, reason: "waited in the queue past its max_wait_seconds" });
  }, 60_000);

  it("a request whose agent was offline past the job's timeout is never run when the agent comes back", async () => {
    const { orchestrator, scratch } = suite();
    const marker = path.join(scratch, "late-mark");
    const outcome = await runLive(
      Effect.gen(function* () {
        const { agentId, child } = yield* agentWith("frozen", `  mark:\n    command: ["touch", "{path}"]\n`);
        // Frozen: its connection stays open, but it reads nothing and sends no heartbeat.
        child.signal("SIGSTOP");
        const job = yield* Effect.promise(() => submit(orchestrator, { kind: "mark", params: { path: marker }, timeout_seconds: 2 }));
        const lost = yield* Effect.promise(() => finished(orchestrator, job.work_id, 15_000));
        // Past the job's own timeout before the agent wakes up.
        yield* Effect.sleep("2500 millis");
        child.signal("SIGCONT");
        yield* Effect.promise(() => eventually(`agent ${agentId} back online`, () => getAgent(orchestrator, agentId), (a) => a?.status === "online", AGENT_UP_MS));
        const after = yield* Effect.promise(() =>
          eventually("the agent's answer to the stale request", () => workView(orchestrator, job.work_id) as Promise<WorkView & { late_result: { status: string } | null }>, (w) => w.late_result !== null, 10_000)
        );
        return { lost, after, marked: existsSync(marker) };
      })
    );
    expect(outcome.lost.state).toBe("lost");
    expect(outcome.after.state).toBe("lost");
    expect(["expired", "cancelled"]).toContain(outcome.after.late_result?.status);
    expect(outcome.marked).toBe(false);
  }, 60_000);

  it("four jobs asking nothing land two and two on two idle agents", async () => {
    const { orchestrator } = suite();
    const outcome = await runLive(
      Effect.gen(function* () {
        const left = yield* agentWith("spread-l", `  spread:\n    command: ["sleep", "{seconds}"]\n`);
        const right = yield* agentWith("spread-r", `  spread:\n    command: ["sleep", "{seconds}"]\n`);
        const jobs: Array<WorkView> = [];
        for (let i = 0; i < 4; i++) jobs.push(yield* Effect.promise(() => submit(orchestrator, { kind: "spread", params: { seconds: "3" } })));
        return { jobs, left: left.agentId, right: right.agentId };
      })
    );
    const counts = new Map<string, number>();
    for (const j of outcome.jobs) counts.set(j.agent_id, (counts.get(j.agent_id) ?? 0) + 1);
    expect([counts.get(outcome.left), counts.get(outcome.right)]).toEqual([2, 2]);
    expect(outcome.jobs.every((j) => j.state === "dispatched")).toBe(true);
  }, 60_000);

  it("a drained agent finishes its running job and gets nothing new until resumed; SIGUSR1 on the machine drains it too", async () => {
    const { orchestrator } = suite();
    const outcome = await runLive(
      Effect.gen(function* () {
        const { agentId, child } = yield* agentWith("drainee", `  drainjob:\n    command: ["sleep", "{seconds}"]\n`);
        const running = yield* Effect.promise(() => submit(orchestrator, { kind: "drainjob", params: { seconds: "3" } }));
        yield* Effect.promise(() => eventually("the first job running", () => workView(orchestrator, running.work_id), (w) => w.state === "running", 15_000));
        const drained = yield* Effect.promise(() => call(orchestrator, "POST", `/agents/${agentId}/drain`));
        const held = yield* Effect.promise(() => submit(orchestrator, { kind: "drainjob", params: { seconds: "1" } }));
        const first = yield* Effect.promise(() => finished(orchestrator, running.work_id, 15_000));
        // Its heartbeats go on; the held job still waits.
        yield* Effect.sleep("2 seconds");
        const stillHeld = yield* Effect.promise(() => workView(orchestrator, held.work_id));
        const capacity = (yield* Effect.promise(() => orchestrator.get(`/capacity`))).body as { agents: ReadonlyArray<{ agent_id: string; draining: boolean }>; queued: number };
        const resumed = yield* Effect.promise(() => call(orchestrator, "POST", `/agents/${agentId}/resume`));
        const second = yield* Effect.promise(() => finished(orchestrator, held.work_id, 15_000));
        // From the machine itself: SIGUSR1.
        child.signal("SIGUSR1");
        const selfDrained = yield* Effect.promise(() =>
          eventually("the agent reporting draining", () => getAgent(orchestrator, agentId), (a) => (a as { reported_status?: string } | undefined)?.reported_status === "draining", 5_000)
        );
        child.signal("SIGUSR2");
        return { drained, held, first, stillHeld, capacity, resumed, second, agentId, selfDrained };
      })
    );
    expect(outcome.drained).toMatchObject({ status: 200, body: { drained: true, draining: true } });
    expect(outcome.held.state).toBe("queued");
    expect(outcome.held).toMatchObject({ waiting_reason: 'every online agent with kind "drainjob" is draining' });
    expect(outcome.first.state).toBe("succeeded");
    expect(outcome.stillHeld.state).toBe("queued");
    expect(outcome.capacity.agents.find((a) => a.agent_id === outcome.agentId)?.draining).toBe(true);
    expect(outcome.capacity.queued).toBeGreaterThanOrEqual(1);
    expect(outcome.resumed).toMatchObject({ status: 200, body: { drained: false } });
    expect(outcome.second).toMatchObject({ state: "succeeded", agent_id: outcome.agentId });
  }, 60_000);
});
