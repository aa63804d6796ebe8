// Offline exactly on time (issue #18): with the default 30 s sweep interval
// and a 6 s heartbeat timeout, agents killed with kill -9 at spread-out
// moments are each marked offline at their own deadline (last heartbeat +
// timeout, by the database clock), not at the next sweep, while an agent
// that keeps heartbeating stays online throughout. Real processes throughout.
import { Effect } from "effect";
import { runLive } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, type Child } from "./support/childProcess.ts";
import { agentStatus, getAgent } from "./support/orchestratorProcess.ts";
import { orchestratedSystem } from "./support/system.ts";

const TIMEOUT_SECONDS = 6;
/** OFFLINE_SWEEP_INTERVAL_SECONDS' default: the sweep alone would be up to 30 s late. */
const SWEEP_SECONDS = 30;
/** When each doomed agent is killed, from the first kill (ms). */
const KILLS_MS = [0, 1300, 2900, 4100, 5600];

beforeAll(requireAgentBundle);

describe("offline exactly on time", () => {
  it(
    "marks each kill -9'd agent offline between 6 and 7 s after its last heartbeat with a 30 s sweep interval, and never an agent that keeps heartbeating",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const { orchestrator, db, replyQueue, newAgentId } = yield* orchestratedSystem("offline_exact", {
            heartbeatTimeoutSeconds: TIMEOUT_SECONDS,
            sweepIntervalSeconds: SWEEP_SECONDS
          });
          const doomed = KILLS_MS.map((_, i) => newAgentId(`doomed-${i}`));
          const keeper = newAgentId("keeper");
          const children = new Map<string, Child>();
          for (const agentId of [...doomed, keeper]) children.set(agentId, yield* startAgent({ agentId, replyQueue }));
          yield* Effect.promise(() => Promise.all([...doomed, keeper].map((id) => agentStatus(orchestrator, id, "online", AGENT_UP_MS))));

          // The keeper's status, read every 200 ms from the first kill until the end.
          const keeperSeen: Array<string> = [];
          let watching = true;
          const watch = (async () => {
            while (watching) {
              keeperSeen.push((await getAgent(orchestrator, keeper))?.status ?? "missing");
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          })();

          const start = Date.now();
          for (const [i, at] of KILLS_MS.entries()) {
            yield* Effect.sleep(`${Math.max(0, start + at - Date.now())} millis`);
            children.get(doomed[i] ?? "")?.signal("SIGKILL");
          }
          // The last one: killed at 5.6 s, offline by about 12.6 s; the sweep alone would wait up to 30 s more.
          yield* Effect.promise(() =>
            Promise.all(
              doomed.map((id) =>
                eventually(`agent ${id} offline`, () => db.transitions(id), (ts) => ts.some((t) => t.to_status === "offline"), 15_000, 100)
              )
            )
          );
          // The keeper heartbeats on for another two timeouts.
          yield* Effect.sleep(`${2 * TIMEOUT_SECONDS} seconds`);
          watching = false;
          yield* Effect.promise(() => watch);

          const delays = yield* Effect.promise(() =>
            Promise.all(
              doomed.map(async (id) => {
                const agent = await db.agent(id);
                const offline = (await db.timedTransitions(id)).filter((t) => t.to_status === "offline");
                return {
                  id,
                  status: agent?.status,
                  offline: offline.map((t) => t.reason),
                  delayMs: (offline[0]?.at_ms ?? Number.NaN) - (agent?.last_heartbeat_ms ?? Number.NaN)
                };
              })
            )
          );
          const keeperTransitions = yield* Effect.promise(() => db.transitions(keeper));
          return { delays, keeperSeen, keeperTransitions, keeperRunning: children.get(keeper)?.running() };
        })
      );

      console.log(`offline after the last heartbeat (ms): ${outcome.delays.map((d) => d.delayMs.toFixed(0)).join(", ")}`);
      for (const d of outcome.delays) {
        expect(d.status).toBe("offline");
        expect(d.offline).toEqual([`no heartbeat for over ${TIMEOUT_SECONDS} s`]);
        expect(d.delayMs).toBeGreaterThan(TIMEOUT_SECONDS * 1000);
        expect(d.delayMs).toBeLessThan((TIMEOUT_SECONDS + 1) * 1000);
      }
      expect(outcome.keeperSeen.length).toBeGreaterThan(50);
      expect(outcome.keeperSeen.every((s) => s === "online")).toBe(true);
      expect(outcome.keeperTransitions).toEqual([{ from_status: null, to_status: "online", reason: "first heartbeat" }]);
      expect(outcome.keeperRunning).toBe(true);
    },
    120_000
  );
});
