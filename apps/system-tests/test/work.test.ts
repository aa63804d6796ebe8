// Work end to end: the real orchestrator process routes POST /work to a real
// desktop-agent process, which runs the kind from its own config (no shell)
// and reports back; everything is watched through GET /work/:id.
import { randomUUID } from "node:crypto";
import { Effect } from "effect";
import { workQueueName } from "@homelab/protocol";
import { runLive, uniqueName, heartbeat, replyPublisher, resources } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually } from "./support/childProcess.ts";
import { agentStatus, getAgent } from "./support/orchestratorProcess.ts";
import { suiteResources } from "./support/suite.ts";
import { orchestratedSystem } from "./support/system.ts";
import { finished, submit, workView, type WorkView } from "./support/work.ts";

const SLOW_TEST_MS = 60_000;
const OUTPUT_CAP = 4096;

/** The agent's own task kinds. `sh -c` is the test's choice for two of them; the agent never adds a shell. */
const agentConfig = (extraTasks = "") => `
max_concurrent_work: 2
max_output_bytes: ${OUTPUT_CAP}
tasks:
  echo:
    command: ["echo", "{message}"]
    timeout_seconds: 30
  fail:
    command: ["sh", "-c", "echo to stdout; echo broken >&2; exit 3"]
  sleep:
    command: ["sleep", "{seconds}"]
  big:
    command: ["sh", "-c", "head -c 1048576 /dev/zero | tr '\\\\0' x"]
${extraTasks}`;

beforeAll(requireAgentBundle);

const suite = suiteResources(
  Effect.gen(function* () {
    const { orchestrator, replyQueue, queues } = yield* orchestratedSystem("work_system", {
      heartbeatTimeoutSeconds: 3,
      sweepIntervalSeconds: 1,
      env: { WORK_RESULT_GRACE_SECONDS: "5" }
    });
    const agentId = uniqueName("worker");
    queues.adopt(workQueueName(agentId));
    yield* startAgent({ agentId, replyQueue, config: agentConfig() });
    yield* Effect.promise(() =>
      eventually(`agent ${agentId} online with its kinds`, () => getAgent(orchestrator, agentId), (a) => a?.status === "online", AGENT_UP_MS)
    );
    const publisher = yield* replyPublisher(replyQueue);
    return { orchestrator, agentId, replyQueue, queues, publisher };
  }),
  60_000
);

describe("work end to end (real orchestrator and agent processes)", () => {
  it("runs a kind with a param that looks like shell, as one argv element, and stores its output", async () => {
    const { orchestrator, agentId } = suite();
    const message = "hello; rm -rf ~ $(id) `id` | cat";
    const work = await submit(orchestrator, { kind: "echo", params: { message } });
    const done = await finished(orchestrator, work.work_id);
    expect(work.agent_id).toBe(agentId);
    expect(done).toMatchObject({ state: "succeeded", result: { status: "succeeded", exit_code: 0, output: `${message}\n`, error: null } });
  });

  it("reports a failing command as failed with its exit code and what it said on stderr", async () => {
    const { orchestrator } = suite();
    const done = await finished(orchestrator, (await submit(orchestrator, { kind: "fail" })).work_id);
    expect(done.state).toBe("failed");
    expect(done.result).toMatchObject({ status: "failed", exit_code: 3, output: "to stdout\n" });
    expect(done.result?.error).toMatch(/broken/);
  });

  it("kills work at its timeout and reports timed_out", async () => {
    const { orchestrator } = suite();
    const startedAt = Date.now();
    const work = await submit(orchestrator, { kind: "sleep", params: { seconds: "30" }, timeout_seconds: 1 });
    const done = await finished(orchestrator, work.work_id);
    expect(done).toMatchObject({ state: "timed_out", result: { status: "timed_out" } });
    expect(Date.now() - startedAt).toBeLessThan(15_000);
  });

  it("truncates 1 MB of output to the agent's cap and says so", async () => {
    const { orchestrator } = suite();
    const done = await finished(orchestrator, (await submit(orchestrator, { kind: "big" })).work_id);
    expect(done.state).toBe("succeeded");
    expect(done.result?.output.startsWith("x".repeat(100))).toBe(true);
    expect(done.result?.output.length).toBeLessThan(OUTPUT_CAP + 200);
    expect(done.result?.output).toMatch(/output truncated/);
  });

  it("shows work as running while the agent lists it in current_work", async () => {
    const { orchestrator } = suite();
    const work = await submit(orchestrator, { kind: "sleep", params: { seconds: "3" }, timeout_seconds: 20 });
    const running = await eventually("work running", () => workView(orchestrator, work.work_id), (w) => w.state === "running", 5000);
    const done = await finished(orchestrator, work.work_id);
    expect(running.state).toBe("running");
    expect(done.state).toBe("succeeded");
  });

  it("answers rejected, and runs nothing, for a kind the agent no longer has", async () => {
    const { orchestrator, agentId, publisher } = suite();
    // The registry still believes the agent has "ghost" (a heartbeat from a
    // previous config): the router sends it there, the agent refuses it.
    const claim = () =>
      publisher.send(
        heartbeat({ agentId, bootId: randomUUID(), seq: 0, capabilities: ["echo", "ghost"], resources: resources({ gpu_type: "none", gpu_count: 0, gpus: [], gpu_vram_total_gb: 0, gpu_vram_available_gb: 0 }) })
      );
    const routed = await eventually(
      "POST /work for ghost routed",
      async () => {
        await claim();
        return orchestrator.post("/work", { kind: "ghost" });
      },
      (r) => r.status === 202,
      10_000,
      50
    );
    const done = await finished(orchestrator, (routed.body as WorkView).work_id);
    expect(done.state).toBe("rejected");
    expect(done.result?.error).toMatch(/ghost/);
  });

  it(
    "marks work lost when its agent is killed mid-work",
    async () => {
      const { orchestrator, replyQueue, queues } = suite();
      const outcome = await runLive(
        Effect.gen(function* () {
          const agentId = uniqueName("doomed");
          queues.adopt(workQueueName(agentId));
          // A kind only this agent has, so the job cannot land anywhere else.
          const agent = yield* startAgent({
            agentId,
            replyQueue,
            config: agentConfig(["  doomed_sleep:", '    command: ["sleep", "60"]', ""].join("\n"))
          });
          yield* Effect.promise(() =>
            agentStatus(orchestrator, agentId, "online", AGENT_UP_MS)
          );
          const work = yield* Effect.promise(() => submit(orchestrator, { kind: "doomed_sleep", timeout_seconds: 120 }));
          yield* Effect.promise(() =>
            eventually("work running", () => workView(orchestrator, work.work_id), (w) => w.state === "running", 5000)
          );
          agent.signal("SIGKILL");
          yield* Effect.promise(() => agent.exited);
          const ended = yield* Effect.promise(() => finished(orchestrator, work.work_id, 15_000));
          return { ...ended, work_agent: work.agent_id, agentId };
        })
      );
      expect(outcome.work_agent).toBe(outcome.agentId);
      expect(outcome.state).toBe("lost");
      expect(outcome.reason).toMatch(/went offline/);
    },
    SLOW_TEST_MS
  );
});
