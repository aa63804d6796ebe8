// The whole system on the real broker and database: the real orchestrator
// process and the real desktop-agent process (the built bundle), watched
// through the orchestrator's HTTP API and its database (SPEC §4, §5).
import os from "node:os";
import { Effect } from "effect";
import { runLive } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, within } from "./support/childProcess.ts";
import { agentMatching, agentStatus, capacityAgentIds, listAgents, type AgentView } from "./support/orchestratorProcess.ts";
import { suiteResources } from "./support/suite.ts";
import { orchestratedSystem } from "./support/system.ts";

const TIMEOUT_SECONDS = 3;
const SWEEP_SECONDS = 1;
/** Scheduling slack on a busy CI machine, on top of what the spec allows. */
const MARGIN_MS = 3000;
/** An agent process is up and heartbeating within this (bundle load, up to 1 s start-up jitter, connect). */
const SLOW_TEST_MS = 60_000;

beforeAll(requireAgentBundle);

const suite = suiteResources(orchestratedSystem("system", { heartbeatTimeoutSeconds: TIMEOUT_SECONDS, sweepIntervalSeconds: SWEEP_SECONDS }));

describe("desktop agent and orchestrator processes together", () => {
  it("shows a running agent online with its resources, offline within timeout + sweep after kill -9, and online again with a new boot_id when it restarts", async () => {
    const { orchestrator, replyQueue, db, newAgentId } = suite();
    const agentId = newAgentId("desk");
    const outcome = await runLive(
      Effect.gen(function* () {
        const first = yield* startAgent({ agentId, replyQueue });
        const online = yield* Effect.promise(() =>
          eventually(
            `agent ${agentId} online in GET /agents`,
            async () => (await listAgents(orchestrator)).find((a) => a.agent_id === agentId),
            (a): a is AgentView => a?.status === "online",
            AGENT_UP_MS
          )
        );
        const inCapacity = yield* Effect.promise(() => capacityAgentIds(orchestrator));

        first.signal("SIGKILL");
        const killedAt = Date.now();
        const killed = yield* Effect.promise(() => first.exited);
        const offlineDeadlineMs = (TIMEOUT_SECONDS + 2 * SWEEP_SECONDS) * 1000 + MARGIN_MS;
        const offline = yield* Effect.promise(() =>
          agentStatus(orchestrator, agentId, "offline", offlineDeadlineMs)
        );
        const offlineAfterMs = Date.now() - killedAt;
        const offCapacity = yield* Effect.promise(() => capacityAgentIds(orchestrator));

        yield* startAgent({ agentId, replyQueue });
        const back = yield* Effect.promise(() =>
          agentMatching(orchestrator, agentId, "online with a new boot", (a) => a.status === "online" && a.boot_id !== online.boot_id, AGENT_UP_MS)
        );
        const transitions = yield* Effect.promise(() => db.transitions(agentId));
        return { online, inCapacity, killed, offline, offlineAfterMs, offlineDeadlineMs, offCapacity, back, transitions };
      })
    );

    expect(outcome.online).toMatchObject({ agent_id: agentId, agent_type: "desktop", pool_name: "desktop_pool_1", status: "online", capabilities: [] });
    expect(outcome.online.resource_metrics).toMatchObject({
      cpu_cores_total: os.availableParallelism(),
      gpu_type: "none",
      gpu_count: 0,
      gpu_vram_total_gb: 0,
      gpu_vram_available_gb: 0,
      gpus: []
    });
    expect(outcome.online.resource_metrics["memory_total_gb"]).toBeCloseTo(os.totalmem() / 1024 ** 3, 1);
    expect(outcome.inCapacity).toContain(agentId);

    expect(outcome.killed).toEqual({ code: null, signal: "SIGKILL" });
    // Not at once (a killed agent says nothing), but within timeout + sweeps.
    expect(outcome.offlineAfterMs).toBeGreaterThan(1000);
    expect(outcome.offlineAfterMs).toBeLessThan(outcome.offlineDeadlineMs);
    expect(outcome.offCapacity).not.toContain(agentId);

    expect(outcome.back.boot_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.back.boot_id).not.toBe(outcome.online.boot_id);
    expect(outcome.transitions).toEqual([
      { from_status: null, to_status: "online", reason: "first heartbeat" },
      { from_status: "online", to_status: "offline", reason: `no heartbeat for over ${TIMEOUT_SECONDS} s` },
      { from_status: "offline", to_status: "online", reason: "heartbeat" }
    ]);
  }, SLOW_TEST_MS);

  it("marks an agent offline at once when it stops on SIGTERM (agent_shutdown), and the agent exits 0", async () => {
    const { orchestrator, replyQueue, db, newAgentId } = suite();
    const agentId = newAgentId("term");
    const outcome = await runLive(
      Effect.gen(function* () {
        const agent = yield* startAgent({ agentId, replyQueue });
        yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
        agent.signal("SIGTERM");
        const stoppedAt = Date.now();
        const offline = yield* Effect.promise(() =>
          agentStatus(orchestrator, agentId, "offline", TIMEOUT_SECONDS * 1000)
        );
        const offlineAfterMs = Date.now() - stoppedAt;
        const exit = yield* Effect.promise(() => within(agent.exited, 10_000));
        const transitions = yield* Effect.promise(() => db.transitions(agentId));
        return { offline, offlineAfterMs, exit, transitions };
      })
    );

    expect(outcome.offline.status).toBe("offline");
    expect(outcome.offlineAfterMs).toBeLessThan(TIMEOUT_SECONDS * 1000);
    expect(outcome.exit).toEqual({ code: 0, signal: null });
    expect(outcome.transitions).toEqual([
      { from_status: null, to_status: "online", reason: "first heartbeat" },
      { from_status: "online", to_status: "offline", reason: "agent_shutdown" }
    ]);
  });
});
