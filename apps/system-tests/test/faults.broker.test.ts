// Fault injection: the broker restarts under a running fleet. A RabbitMQ node
// of the test's own (its own name, ports and data), never the shared one.
import { randomUUID } from "node:crypto";
import { Effect } from "effect";
import { heartbeat, replyPublisher, runLive, testDatabase, uniqueName } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, observeFor, type Child } from "./support/childProcess.ts";
import { agentStatus, getAgent, listAgents, startOrchestrator } from "./support/orchestratorProcess.ts";
import { privateBroker } from "./support/privateServices.ts";
import { registryDb } from "./support/registryDb.ts";

const TIMEOUT_SECONDS = 3;
/** Broker start-up (about 5 s here) plus the agents' backoff (1, 2, 4, 8 s with jitter). */
const RECOVERY_MS = 45_000;

beforeAll(requireAgentBundle);

describe("fault: broker restart", () => {
  it(
    "agents and orchestrator reconnect by themselves, heartbeats resume from the same processes, nothing confirmed is lost and nobody is registered twice",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const broker = yield* privateBroker();
          const database = yield* testDatabase("fault_broker");
          const replyQueue = uniqueName("replies");
          const orchestrator = yield* startOrchestrator({
            databaseUrl: database.url,
            replyQueue,
            amqpUrl: broker.url,
            heartbeatTimeoutSeconds: TIMEOUT_SECONDS,
            sweepIntervalSeconds: 1
          });
          const db = yield* registryDb(database.url);
          const agentIds = [uniqueName("brk-a"), uniqueName("brk-b")];
          const agents: Array<Child> = [];
          for (const agentId of agentIds) agents.push(yield* startAgent({ agentId, replyQueue, amqpUrl: broker.url }));
          const before = yield* Effect.promise(() =>
            Promise.all(
              agentIds.map((id) => agentStatus(orchestrator, id, "online", AGENT_UP_MS))
            )
          );

          // A burst of confirmed heartbeats right before the broker goes: some applied, some still queued or
          // unacked at the stop. Every one must be applied in the end (quorum queue, persistent, ack after commit).
          const burst = Array.from({ length: 300 }, (_, i) => ({ agentId: `${uniqueName("brk-burst")}-${i}`, bootId: randomUUID(), seq: 1 }));
          yield* Effect.scoped(
            Effect.gen(function* () {
              const publisher = yield* replyPublisher(replyQueue, broker.url);
              yield* Effect.promise(() => Promise.all(burst.map((h) => publisher.send(heartbeat(h)))));
            })
          );
          yield* Effect.promise(() => broker.stop());
          const unready = yield* Effect.promise(() =>
            eventually("orchestrator unready while the broker is down", () => orchestrator.get("/readyz"), (r) => r.status === 503, 10_000)
          );
          yield* Effect.promise(() => broker.start());

          const ready = yield* Effect.promise(() =>
            eventually("orchestrator ready again", () => orchestrator.get("/readyz"), (r) => r.status === 200, RECOVERY_MS, 100)
          );
          const readyAgainAt = Date.now();
          const after = yield* Effect.promise(() =>
            Promise.all(
              before.map((b) =>
                eventually(
                  `agent ${b?.agent_id} heartbeating again`,
                  () => getAgent(orchestrator, b?.agent_id ?? ""),
                  (a) => a?.status === "online" && a.last_seq >= (b?.last_seq ?? 0) + 3,
                  RECOVERY_MS,
                  200
                )
              )
            )
          );
          const burstIds = burst.map((h) => h.agentId);
          const burstApplied = yield* Effect.promise(() =>
            eventually("every burst heartbeat applied", () => db.lastSeqs(burstIds), (m) => m.size === burstIds.length, 20_000, 200)
          );
          // Watch a few more seconds: they stay online.
          const settled = yield* Effect.promise(() =>
            observeFor(() => Promise.all(agentIds.map(async (id) => (await getAgent(orchestrator, id))?.status)), 2000, 250)
          );
          const listed = (yield* Effect.promise(() => listAgents(orchestrator))).map((a) => a.agent_id).filter((id) => agentIds.includes(id));
          const transitions = yield* Effect.promise(() => Promise.all(agentIds.map((id) => db.timedTransitions(id))));
          return {
            transitions,
            readyAgainAt,
            before,
            after,
            unready,
            ready,
            burstApplied: burstApplied.size,
            settled,
            listed,
            agentIds,
            running: [orchestrator.child, ...agents].map((c) => c.running())
          };
        })
      );

      // While the broker was down the orchestrator could hear nobody, so nobody was marked offline then, nor
      // within one timeout of it hearing again; an agent whose backoff brings it back later than that may be
      // marked offline after it (it really was silent), and is online again by the end either way.
      for (const transitions of outcome.transitions) {
        expect(transitions.filter((t) => t.from_status === null)).toHaveLength(1);
        const offline = transitions.filter((t) => t.to_status === "offline");
        expect(offline.filter((t) => t.at_ms < outcome.readyAgainAt + (TIMEOUT_SECONDS - 0.5) * 1000)).toEqual([]);
      }
      expect(outcome.unready.body).toMatchObject({ components: { broker: { up: false } } });
      expect(outcome.ready.status).toBe(200);
      // The same processes (boot_id unchanged), registered once, with their first registration time.
      outcome.after.forEach((a, i) => {
        expect(a?.boot_id).toBe(outcome.before[i]?.boot_id);
        expect(a?.registered_at).toBe(outcome.before[i]?.registered_at);
      });
      expect(outcome.listed.sort()).toEqual([...outcome.agentIds].sort());
      expect(outcome.burstApplied).toBe(300);
      expect(outcome.settled.flat().every((s) => s === "online")).toBe(true);
      // No process exited: everyone rode it out.
      expect(outcome.running).toEqual([true, true, true]);
    },
    120_000
  );
});
