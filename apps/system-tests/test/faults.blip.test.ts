// Fault injection: a network blip between one agent and the broker. The
// agent reaches the (shared) broker through a TCP proxy the test owns; the
// other agents connect directly. Cutting the proxy breaks only that link.
import { Effect } from "effect";
import { brokerProxy, runLive, serviceUrls } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, observeFor, type Child } from "./support/childProcess.ts";
import { agentStatus, getAgent } from "./support/orchestratorProcess.ts";
import { orchestratedSystem } from "./support/system.ts";

const CUT_MS = 6000;
/** The agent's backoff after a loss: a 0-1 s pause, then 1, 2, 4, 8 s (±20 %). */
const BACK_MS = 20_000;

beforeAll(requireAgentBundle);

describe("fault: network blip between one agent and the broker", () => {
  it(
    "the cut-off agent retries with backoff (not in a tight loop) and reconnects as the same process; the other agents never miss a heartbeat",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const { orchestrator, db, replyQueue, newAgentId } = yield* orchestratedSystem("fault_blip", { heartbeatTimeoutSeconds: 3, sweepIntervalSeconds: 1 });
          const proxy = yield* brokerProxy(serviceUrls().amqpUrl);
          const [blipped = "", ...others] = [newAgentId("blip"), newAgentId("steady-a"), newAgentId("steady-b")];
          const agents: Array<Child> = [];
          agents.push(yield* startAgent({ agentId: blipped, replyQueue, amqpUrl: proxy.url(serviceUrls().amqpUrl) }));
          for (const agentId of others) {
            agents.push(yield* startAgent({ agentId, replyQueue }));
          }
          const before = yield* Effect.promise(() =>
            Promise.all(
              [blipped, ...others].map((id) => agentStatus(orchestrator, id, "online", AGENT_UP_MS))
            )
          );

          const refusedBefore = proxy.refusedTotal();
          proxy.cut();
          const othersDuringCut = yield* Effect.promise(() =>
            observeFor(() => Promise.all(others.map(async (id) => (await db.agent(id))?.heartbeat_age_seconds ?? Number.NaN)), CUT_MS, 200)
          );
          const attemptsDuringCut = proxy.refusedTotal() - refusedBefore;
          const seqAtRestore = (yield* Effect.promise(() => db.agent(blipped)))?.last_seq ?? 0;
          yield* Effect.promise(() => proxy.restore());
          const back = yield* Effect.promise(() =>
            eventually(
              `agent ${blipped} heartbeating again`,
              () => getAgent(orchestrator, blipped),
              (a) => a?.status === "online" && a.last_seq >= seqAtRestore + 2,
              BACK_MS,
              200
            )
          );
          const transitions = yield* Effect.promise(() => Promise.all(others.map((id) => db.transitions(id))));
          return { before, back, attemptsDuringCut, othersDuringCut, transitions, running: agents.map((a) => a.running()) };
        })
      );

      // Backoff: a handful of attempts in 6 s (about 3: after 0-1 s, then 1 s and 2 s later), never a tight loop, never giving up.
      expect(outcome.attemptsDuringCut).toBeGreaterThanOrEqual(2);
      expect(outcome.attemptsDuringCut).toBeLessThanOrEqual(5);
      expect(outcome.back?.boot_id).toBe(outcome.before[0]?.boot_id);
      // The others: a heartbeat at least every 2 s throughout, and never a change of status.
      expect(Math.max(...outcome.othersDuringCut.flat())).toBeLessThan(2);
      for (const t of outcome.transitions) expect(t).toEqual([{ from_status: null, to_status: "online", reason: "first heartbeat" }]);
      expect(outcome.running).toEqual([true, true, true]);
    },
    90_000
  );
});
