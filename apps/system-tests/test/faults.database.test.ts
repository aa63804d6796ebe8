// Fault injection: PostgreSQL stops for 20 s under a running fleet. A
// PostgreSQL cluster of the test's own (initdb, its own port and data), never
// the shared one; the broker is the shared one with the test's own queues.
import { randomUUID } from "node:crypto";
import { Effect } from "effect";
import { heartbeat, replyPublisher, runLive, testQueues, uniqueName } from "@homelab/testing";
import { workQueueName } from "@homelab/protocol";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, observeFor, type Child } from "./support/childProcess.ts";
import { agentStatus, getAgent, startOrchestrator } from "./support/orchestratorProcess.ts";
import { privatePostgres } from "./support/privateServices.ts";
import { registryDb } from "./support/registryDb.ts";

const OUTAGE_MS = 20_000;
const SYNTHETIC_AGENTS = 5;

const statusOf = (a: { readonly status: string } | undefined) => a?.status ?? "missing";

beforeAll(requireAgentBundle);

describe("fault: database outage", () => {
  it(
    "PostgreSQL stopped for 20 s: the orchestrator answers unready but keeps running, marks nobody offline, and applies every agent's latest heartbeat once the database is back",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const postgres = yield* privatePostgres();
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const orchestrator = yield* startOrchestrator({
            databaseUrl: postgres.url,
            replyQueue,
            heartbeatTimeoutSeconds: 3,
            sweepIntervalSeconds: 1
          });
          const agentIds = [uniqueName("db-a"), uniqueName("db-b")];
          const agents: Array<Child> = [];
          for (const agentId of agentIds) {
            queues.adopt(workQueueName(agentId));
            agents.push(yield* startAgent({ agentId, replyQueue }));
          }
          yield* Effect.promise(() =>
            Promise.all(
              agentIds.map((id) => agentStatus(orchestrator, id, "online", AGENT_UP_MS))
            )
          );
          const publisher = yield* replyPublisher(replyQueue);
          const synthetic = Array.from({ length: SYNTHETIC_AGENTS }, () => ({ agentId: uniqueName("db-syn"), bootId: randomUUID() }));

          yield* Effect.promise(() => postgres.stop());
          const stoppedAt = Date.now();
          const unready = yield* Effect.promise(() =>
            eventually("orchestrator unready while the database is down", () => orchestrator.get("/readyz"), (r) => r.status === 503, 10_000, 100)
          );
          // Through the outage: real agents heartbeat every second; the synthetic ones send seq 1..N, each confirmed by the broker.
          let lastSeq = 0;
          const healthz: Array<number> = [];
          while (Date.now() - stoppedAt < OUTAGE_MS) {
            lastSeq += 1;
            for (const s of synthetic) yield* Effect.promise(() => publisher.send(heartbeat({ ...s, seq: lastSeq })));
            healthz.push((yield* Effect.promise(() => orchestrator.get("/healthz"))).status);
            yield* Effect.sleep("1 second");
          }
          const aliveThroughOutage = orchestrator.child.running();
          yield* Effect.promise(() => postgres.start());
          const backAt = Date.now();

          const ready = yield* Effect.promise(() =>
            eventually("orchestrator ready again", () => orchestrator.get("/readyz"), (r) => r.status === 200, 20_000, 100)
          );
          const db = yield* registryDb(postgres.url);
          const syntheticSeqs = yield* Effect.promise(() =>
            eventually(
              "every synthetic agent at its last seq",
              () => db.lastSeqs(synthetic.map((s) => s.agentId)),
              (m) => m.size === SYNTHETIC_AGENTS && [...m.values()].every((seq) => seq === lastSeq),
              20_000,
              200
            )
          );
          const caughtUpMs = Date.now() - backAt;
          // The real agents: fresh again, and watched for a few more sweeps.
          const fresh = yield* Effect.promise(() =>
            eventually(
              "real agents' heartbeats fresh",
              () => Promise.all(agentIds.map((id) => db.agent(id))),
              (rows) => rows.every((r) => r !== undefined && r.heartbeat_age_seconds < 2),
              10_000,
              200
            )
          );
          const statuses = yield* Effect.promise(() =>
            observeFor(() => Promise.all(agentIds.map(async (id) => statusOf(await getAgent(orchestrator, id)))), 4000, 250)
          );
          const transitions = yield* Effect.promise(() => Promise.all(agentIds.map((id) => db.transitions(id))));
          return {
            unready,
            healthz,
            aliveThroughOutage,
            ready,
            syntheticSeqs,
            lastSeq,
            caughtUpMs,
            fresh,
            statuses,
            transitions,
            running: [orchestrator.child, ...agents].map((c) => c.running())
          };
        })
      );

      expect(outcome.unready.body).toMatchObject({ components: { database: { up: false }, broker: { up: true } } });
      expect(outcome.healthz.every((s) => s === 200)).toBe(true);
      expect(outcome.aliveThroughOutage).toBe(true);
      expect(outcome.lastSeq).toBeGreaterThanOrEqual(18);
      expect([...outcome.syntheticSeqs.values()]).toEqual(Array.from({ length: SYNTHETIC_AGENTS }, () => outcome.lastSeq));
      expect(outcome.statuses.flat().every((s) => s === "online")).toBe(true);
      // Nobody was marked offline for the orchestrator's own deafness.
      for (const t of outcome.transitions) expect(t).toEqual([{ from_status: null, to_status: "online", reason: "first heartbeat" }]);
      expect(outcome.running).toEqual([true, true, true]);
    },
    120_000
  );
});

describe("fault: database away at start-up", () => {
  it("serves HTTP at once (/healthz 200, /readyz 503 naming the database), and is ready and registering agents once the database comes", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const database = yield* privatePostgres();
        yield* Effect.promise(() => database.stop());
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const orchestrator = yield* startOrchestrator({
          databaseUrl: database.url,
          replyQueue,
          heartbeatTimeoutSeconds: 3,
          sweepIntervalSeconds: 1,
          untilServing: true
        });
        const health = yield* Effect.promise(() => orchestrator.get("/healthz"));
        const unready = yield* Effect.promise(() => orchestrator.get("/readyz"));
        const agents = yield* Effect.promise(() => orchestrator.get("/agents"));
        yield* Effect.promise(() => database.start());
        const ready = yield* Effect.promise(() => eventually("ready once the database is up", () => orchestrator.get("/readyz"), (r) => r.status === 200, 30_000, 200));
        const agentId = uniqueName("late-db");
        queues.adopt(workQueueName(agentId));
        yield* startAgent({ agentId, replyQueue });
        const registered = yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
        return { health, unready, agents, ready, registered };
      })
    );
    expect(outcome.health.status).toBe(200);
    expect(outcome.unready.status).toBe(503);
    expect(JSON.stringify(outcome.unready.body)).toMatch(/database/);
    expect(outcome.agents.status).toBe(503);
    expect(outcome.ready.status).toBe(200);
    expect(outcome.registered?.status).toBe("online");
  }, 90_000);
});
