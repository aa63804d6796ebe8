// Fault injection: a poison flood. 1,000 malformed messages of every kind
// mixed into 10,000 valid heartbeats on the real orchestrator's reply queue.
import { randomUUID } from "node:crypto";
import { Effect } from "effect";
import { heartbeat, replyPublisher, runLive, testDatabase, testQueues, uniqueName } from "@homelab/testing";
import { eventually } from "./support/childProcess.ts";
import { badMessages, drainDeadLetters, rejectedCounts } from "./support/deadLetters.ts";
import { metricValue, startOrchestrator } from "./support/orchestratorProcess.ts";
import { registryDb } from "./support/registryDb.ts";

const AGENTS = 1000;
const SEQS = 10;
const MALFORMED = 1000;
/** Over 1 MiB each: a few, not hundreds, so the flood stays a flood of messages, not of megabytes. */
const OVERSIZED = 5;

describe("fault: poison flood", () => {
  it(
    "applies every one of 10,000 valid heartbeats and dead-letters every one of 1,000 malformed messages mixed among them, each with its reason",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const database = yield* testDatabase("fault_poison");
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const publisher = yield* replyPublisher(replyQueue);
          const orchestrator = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, heartbeatTimeoutSeconds: 60, sweepIntervalSeconds: 1 });
          const db = yield* registryDb(database.url);

          const agents = Array.from({ length: AGENTS }, (_, i) => ({ agentId: `${uniqueName("flood")}-${i}`, bootId: randomUUID() }));
          const kinds = badMessages({ withOversized: false });
          const oversized = badMessages().filter(([reason]) => reason === "oversized");
          const malformed = Array.from({ length: MALFORMED }, (_, i) =>
            i < OVERSIZED ? oversized[0] : kinds[i % kinds.length]
          ).filter((m) => m !== undefined);
          // The wire order: round by round (seq 1 for every agent, then seq 2, …), one malformed message after every tenth valid one.
          const wire: Array<{ readonly contentType: string; readonly body: Buffer } | { readonly valid: ReturnType<typeof heartbeat> }> = [];
          let nextBad = 0;
          for (let seq = 1; seq <= SEQS; seq++) {
            for (const [i, a] of agents.entries()) {
              wire.push({ valid: heartbeat({ ...a, seq }) });
              const bad = malformed[nextBad];
              if (i % 10 === 9 && bad !== undefined) {
                wire.push(bad[1]);
                nextBad++;
              }
            }
          }
          const metricsBefore = yield* Effect.promise(() => orchestrator.getText("/metrics"));
          const rejectedBefore = yield* Effect.promise(() => rejectedCounts(orchestrator));
          // Published in order on one channel, confirmed in windows of 500.
          for (let i = 0; i < wire.length; i += 500) {
            yield* Effect.promise(() =>
              Promise.all(wire.slice(i, i + 500).map((m) => ("valid" in m ? publisher.send(m.valid) : publisher.sendRaw(m.contentType, m.body))))
            );
          }

          const ids = agents.map((a) => a.agentId);
          const seqs = yield* Effect.promise(() =>
            eventually("every agent at its last seq", () => db.lastSeqs(ids), (m) => m.size === AGENTS && [...m.values()].every((s) => s === SEQS), 60_000, 250)
          );
          const dead = yield* Effect.promise(() => drainDeadLetters(`${replyQueue}.dead`, MALFORMED));
          const processed = (text: string) => metricValue(text, "homelab_heartbeats_applied_total") + metricValue(text, "homelab_heartbeats_ignored_total");
          const metricsAfter = yield* Effect.promise(() =>
            eventually("all 10,000 counted", () => orchestrator.getText("/metrics"), (t) => processed(t) - processed(metricsBefore) >= AGENTS * SEQS, 10_000)
          );
          const rejectedAfter = yield* Effect.promise(() => rejectedCounts(orchestrator));
          const expectedReasons: Record<string, number> = {};
          for (const m of malformed) expectedReasons[m[0]] = (expectedReasons[m[0]] ?? 0) + 1;
          return {
            atLastSeq: [...seqs.values()].filter((s) => s === SEQS).length,
            processed: processed(metricsAfter) - processed(metricsBefore),
            deadByReason: dead.reduce<Record<string, number>>((acc, d) => ({ ...acc, [String(d.reason)]: (acc[String(d.reason)] ?? 0) + 1 }), {}),
            deadWithDetail: dead.filter((d) => typeof d.detail === "string" && d.detail.length > 0).length,
            countedByReason: Object.fromEntries(Object.keys(expectedReasons).map((r) => [r, (rejectedAfter[r] ?? 0) - (rejectedBefore[r] ?? 0)])),
            expectedReasons,
            running: orchestrator.child.running()
          };
        })
      );

      expect(outcome.atLastSeq).toBe(AGENTS);
      // Every valid heartbeat went through the registry (applied, or ignored as older than one already stored).
      expect(outcome.processed).toBe(AGENTS * SEQS);
      expect(outcome.deadByReason).toEqual(outcome.expectedReasons);
      expect(outcome.deadWithDetail).toBe(MALFORMED);
      expect(outcome.countedByReason).toEqual(outcome.expectedReasons);
      expect(outcome.running).toBe(true);
    },
    120_000
  );
});
