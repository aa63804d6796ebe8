import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Duration, Effect, Layer, Redacted, Result } from "effect";
import { TestClock } from "effect/testing";
import { AgentRegistry, AlertRegistry, postgresDatabase, registryLayer } from "@homelab/registry";
import { heartbeat, metricByLabel, parseMetrics, runTest, testDatabase } from "@homelab/testing";
import { NO_ALERT_CHANNELS } from "../src/alerts/AlertChannels.ts";
import { deliverDue, retryDelay } from "../src/alerts/AlertWorker.ts";
import { parseChannelUrl } from "../src/alerts/channels.ts";
import { alertPolicy } from "../src/alerts/policy.ts";
import type { AlertSettings } from "../src/alerts/types.ts";
import { OrchestratorMetrics } from "../src/OrchestratorMetrics.ts";

/** A webhook far end answering the given statuses in turn (then the last one), counting what it got. */
const farEnd = (statuses: ReadonlyArray<number>) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ server: Server; port: number; bodies: Array<string> }>((resolve) => {
          const bodies: Array<string> = [];
          const server = createServer((request, response) => {
            let body = "";
            request.on("data", (chunk: Buffer) => (body += chunk.toString()));
            request.on("end", () => {
              bodies.push(body);
              response.statusCode = statuses[Math.min(bodies.length, statuses.length) - 1] ?? 200;
              response.end(response.statusCode >= 300 ? "try later" : "ok");
            });
          });
          server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port, bodies }));
        })
    ),
    ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  );

describe("alert delivery (the outbox's worker)", () => {
  it("waits 2 s, 4 s, 8 s … at most 5 min between attempts", async () => {
    const delays = await runTest(Effect.forEach([1, 2, 3, 4, 8, 9, 30], (n) => Effect.map(retryDelay(n), Duration.toSeconds)));
    expect(delays).toEqual([2, 4, 8, 16, 256, 300, 300]);
  });

  it("retries a refused delivery after its backoff by the clock, not before, and records it sent once the far end accepts", async () => {
    const outcome = await runTest(
      Effect.gen(function* () {
        const database = yield* testDatabase("alert_delivery");
        const far = yield* farEnd([500, 200]);
        const channel = parseChannelUrl(`generic+http://127.0.0.1:${far.port}/hook`, "hook");
        if (Result.isFailure(channel)) throw new Error(channel.failure);
        const settings: AlertSettings = { ...NO_ALERT_CHANNELS, channels: [channel.success] };
        const layer = OrchestratorMetrics.layer.pipe(Layer.provideMerge(Layer.orDie(registryLayer(postgresDatabase(Redacted.make(database.url))))));
        return yield* Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const alerts = yield* AlertRegistry;
          yield* TestClock.setTime(Date.now());
          yield* agents.applyHeartbeats([heartbeat({ agentId: "deliver-a", bootId: "0b7e6f4e-3f51-4c1e-9a53-6a2f0c1d2e01", seq: 1 }).payload]);
          yield* agents.markOffline(["deliver-a"], "no heartbeat for over 90 s");
          yield* alerts.evaluate(alertPolicy(settings));
          const first = yield* deliverDue(settings);
          yield* TestClock.adjust("1 second");
          const tooEarly = yield* deliverDue(settings);
          yield* TestClock.adjust("1500 millis");
          const retried = yield* deliverDue(settings);
          yield* TestClock.adjust("1 minute");
          const after = yield* deliverDue(settings);
          const listed = yield* alerts.listAlerts(5);
          const scrape = parseMetrics(yield* (yield* OrchestratorMetrics).render);
          return { first, tooEarly, retried, after, listed, bodies: far.bodies, scrape };
        }).pipe(Effect.provide(layer));
      })
    );
    expect([outcome.first, outcome.tooEarly, outcome.retried, outcome.after]).toEqual([1, 0, 1, 0]);
    expect(outcome.bodies).toHaveLength(2);
    expect(JSON.parse(outcome.bodies[0] ?? "{}")).toMatchObject({ kind: "unreachable", agent_id: "deliver-a", summary: "deliver-a is unreachable" });
    expect(outcome.listed[0]?.deliveries).toEqual([
      expect.objectContaining({ channel: "hook", state: "sent", attempts: 2, last_status: "HTTP 200" })
    ]);
    expect(metricByLabel(outcome.scrape, "homelab_alerts_failed_total", "channel")).toEqual({ hook: 1 });
    expect(metricByLabel(outcome.scrape, "homelab_alerts_sent_total", "channel")).toEqual({ hook: 1 });
  });
});
