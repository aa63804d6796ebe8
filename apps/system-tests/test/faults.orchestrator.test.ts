// Fault injection on the orchestrator itself: killed with kill -9 and
// restarted under a running fleet, and two orchestrators sharing one database
// and broker. Real agent processes throughout; the shared services, each test
// with its own database and queues.
import { Effect } from "effect";
import { workQueueName } from "@homelab/protocol";
import { runLive, testDatabase, testQueues, uniqueName } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, observeFor, type Child } from "./support/childProcess.ts";
import { getAgent, listAgents, metricValue, startOrchestrator, type RunningOrchestrator } from "./support/orchestratorProcess.ts";
import { registryDb } from "./support/registryDb.ts";

const TIMEOUT_SECONDS = 3;
const SWEEP_SECONDS = 1;
const MARGIN_MS = 3000;
const OFFLINE_DEADLINE_MS = (TIMEOUT_SECONDS + 2 * SWEEP_SECONDS) * 1000 + MARGIN_MS;
const timings = { heartbeatTimeoutSeconds: TIMEOUT_SECONDS, sweepIntervalSeconds: SWEEP_SECONDS };

beforeAll(requireAgentBundle);

const online = (orchestrator: RunningOrchestrator, agentId: string, timeoutMs = AGENT_UP_MS) =>
  eventually(`agent ${agentId} online`, () => getAgent(orchestrator, agentId), (a) => a?.status === "online", timeoutMs);

const offline = (orchestrator: RunningOrchestrator, agentId: string) =>
  eventually(`agent ${agentId} offline`, () => getAgent(orchestrator, agentId), (a) => a?.status === "offline", OFFLINE_DEADLINE_MS);

describe("fault: orchestrator killed and restarted", () => {
  it(
    "keeps the registry, marks no agent offline for its own downtime, applies the heartbeats queued meanwhile, and sweeps again afterwards",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const database = yield* testDatabase("fault_orch");
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const db = yield* registryDb(database.url);
          const agentIds = [uniqueName("stay"), uniqueName("later-dies")];
          const first = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings });
          const agents: Array<Child> = [];
          for (const agentId of agentIds) {
            queues.adopt(workQueueName(agentId));
            agents.push(yield* startAgent({ agentId, replyQueue }));
          }
          const before = yield* Effect.promise(() => Promise.all(agentIds.map((id) => online(first, id))));

          first.child.signal("SIGKILL");
          const killed = yield* Effect.promise(() => first.child.exited);
          const seqAtKill = yield* Effect.promise(() => db.lastSeqs(agentIds));
          // Down for twice the timeout: every agent's last_heartbeat_at is stale when the next one starts.
          yield* Effect.sleep(`${2 * TIMEOUT_SECONDS} seconds`);
          const second = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings });
          const duringGrace = yield* Effect.promise(() =>
            observeFor(() => Promise.all(agentIds.map(async (id) => (await getAgent(second, id))?.status ?? "missing")), 2 * TIMEOUT_SECONDS * 1000, 200)
          );
          const after = yield* Effect.promise(() => listAgents(second));
          const seqAfter = yield* Effect.promise(() => db.lastSeqs(agentIds));

          // Sweeping resumed: a killed agent goes offline as usual.
          agents[1]?.signal("SIGKILL");
          const killedAt = Date.now();
          yield* Effect.promise(() => offline(second, agentIds[1] ?? ""));
          const offlineAfterMs = Date.now() - killedAt;
          const transitions = yield* Effect.promise(() => Promise.all(agentIds.map((id) => db.transitions(id))));
          return {
            killed,
            before,
            after: agentIds.map((id) => after.find((a) => a.agent_id === id)),
            seqAtKill,
            seqAfter,
            duringGrace,
            offlineAfterMs,
            transitions,
            running: [second.child.running(), agents[0]?.running()]
          };
        })
      );

      expect(outcome.killed).toEqual({ code: null, signal: "SIGKILL" });
      outcome.after.forEach((a, i) => {
        expect(a).toMatchObject({
          agent_id: outcome.before[i]?.agent_id,
          boot_id: outcome.before[i]?.boot_id,
          registered_at: outcome.before[i]?.registered_at,
          status: "online"
        });
        // The heartbeats sent while no orchestrator ran waited in the queue and were applied: at least 5 of the 6 s.
        expect((outcome.seqAfter.get(a?.agent_id ?? "") ?? 0) - (outcome.seqAtKill.get(a?.agent_id ?? "") ?? 0)).toBeGreaterThanOrEqual(5);
      });
      expect(outcome.duringGrace.flat().every((s) => s === "online")).toBe(true);
      expect(outcome.offlineAfterMs).toBeLessThan(OFFLINE_DEADLINE_MS);
      expect(outcome.transitions).toEqual([
        [{ from_status: null, to_status: "online", reason: "first heartbeat" }],
        [
          { from_status: null, to_status: "online", reason: "first heartbeat" },
          { from_status: "online", to_status: "offline", reason: `no heartbeat for over ${TIMEOUT_SECONDS} s` }
        ]
      ]);
      expect(outcome.running).toEqual([true, true]);
    },
    120_000
  );
});

describe("fault: two orchestrators on one database and broker", () => {
  it(
    "splits the heartbeats between them, and records exactly one offline transition per dead agent",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const database = yield* testDatabase("fault_two");
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const db = yield* registryDb(database.url);
          const one = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings });
          const two = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings });
          const agentIds = [uniqueName("pair-a"), uniqueName("pair-b"), uniqueName("pair-c"), uniqueName("pair-d")];
          const agents: Array<Child> = [];
          for (const agentId of agentIds) {
            queues.adopt(workQueueName(agentId));
            agents.push(yield* startAgent({ agentId, replyQueue }));
          }
          yield* Effect.promise(() => Promise.all(agentIds.map((id) => online(one, id))));
          const applied = (o: RunningOrchestrator) => o.getText("/metrics").then((t) => metricValue(t, "homelab_heartbeats_applied_total"));
          const appliedBefore = yield* Effect.promise(() => Promise.all([applied(one), applied(two)]));
          // Receipt: both have applied heartbeats since (competing consumers share the queue).
          const appliedAfter = yield* Effect.promise(() =>
            eventually(
              "both orchestrators applying heartbeats",
              () => Promise.all([applied(one), applied(two)]),
              (now) => now.every((n, i) => n > (appliedBefore[i] ?? 0)),
              10_000,
              200
            )
          );

          // Two of the four die: one kill -9 (the sweep finds it), one SIGTERM (agent_shutdown).
          agents[0]?.signal("SIGKILL");
          agents[1]?.signal("SIGTERM");
          yield* Effect.promise(() => Promise.all([offline(one, agentIds[0] ?? ""), offline(two, agentIds[1] ?? "")]));
          // More sweeps by both: nothing may be recorded twice.
          yield* Effect.sleep(`${3 * SWEEP_SECONDS} seconds`);
          const transitions = yield* Effect.promise(() => Promise.all(agentIds.map((id) => db.transitions(id))));
          const offlineCounted = yield* Effect.promise(() =>
            Promise.all([one, two].map((o) => o.getText("/metrics").then((t) => metricValue(t, "homelab_offline_transitions_total"))))
          );
          return {
            shares: appliedAfter.map((n, i) => n - (appliedBefore[i] ?? 0)),
            transitions,
            offlineCounted,
            running: [one.child.running(), two.child.running(), agents[2]?.running(), agents[3]?.running()]
          };
        })
      );

      // Competing consumers: each took part of the heartbeats.
      expect(outcome.shares[0]).toBeGreaterThan(0);
      expect(outcome.shares[1]).toBeGreaterThan(0);
      const first = { from_status: null, to_status: "online", reason: "first heartbeat" };
      expect(outcome.transitions).toEqual([
        [first, { from_status: "online", to_status: "offline", reason: `no heartbeat for over ${TIMEOUT_SECONDS} s` }],
        [first, { from_status: "online", to_status: "offline", reason: "agent_shutdown" }],
        [first],
        [first]
      ]);
      // The sweep's transition counted once, by whichever orchestrator held the sweep lock (shutdowns are counted where applied).
      expect((outcome.offlineCounted[0] ?? 0) + (outcome.offlineCounted[1] ?? 0)).toBe(2);
      expect(outcome.running).toEqual([true, true, true, true]);
    },
    120_000
  );
});
