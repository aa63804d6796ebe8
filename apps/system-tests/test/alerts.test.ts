// Alerts (issue #17) with real processes: the orchestrator and agents as
// processes, and local far ends that speak each channel's API shape (one
// HTTP receiver for the webhook, ntfy, Discord, Slack and Gotify paths; an
// SMTP sink for email). Every assertion counts what the far ends received.
import { Effect } from "effect";
import { workQueueName } from "@homelab/protocol";
import {
  runLive,
  scopedHttpReceiver,
  scopedSmtpSink,
  testDatabase,
  testQueues,
  uniqueName,
  type HttpReceiver,
  type SmtpSink
} from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, observeFor, type Child } from "./support/childProcess.ts";
import { getAgent, startOrchestrator, type RunningOrchestrator } from "./support/orchestratorProcess.ts";

const TIMEOUT_SECONDS = 3;
const SWEEP_SECONDS = 1;
const timings = { heartbeatTimeoutSeconds: TIMEOUT_SECONDS, sweepIntervalSeconds: SWEEP_SECONDS };
/** The promise: an unreachable alert on every channel within timeout + sweep + 2 s of the last heartbeat. */
const ALERT_DEADLINE_MS = (TIMEOUT_SECONDS + SWEEP_SECONDS + 2) * 1000;

beforeAll(requireAgentBundle);

const HTTP_CHANNELS = {
  generic: "/generic",
  ntfy: "/homelab",
  discord: "/api/webhooks/123456/discord-token",
  slack: "/slack/hook",
  gotify: "/gotify/message"
} as const;

const alertUrls = (http: HttpReceiver, smtp: SmtpSink) =>
  [
    `generic+http://127.0.0.1:${http.port}${HTTP_CHANNELS.generic}`,
    `ntfy://127.0.0.1:${http.port}/homelab?scheme=http`,
    `discord+http://127.0.0.1:${http.port}${HTTP_CHANNELS.discord}`,
    `slack+http://127.0.0.1:${http.port}${HTTP_CHANNELS.slack}`,
    `gotify://127.0.0.1:${http.port}/gotify/app-token?disabletls=yes`,
    `smtp://127.0.0.1:${smtp.port}/?from=orchestrator@homelab.lan&to=me@homelab.lan&starttls=no`
  ].join(",");

/** What each channel received that mentions `agentId`: the HTTP channels by path, email by mail. */
const received = (http: HttpReceiver, smtp: SmtpSink, agentId: string): Record<string, ReadonlyArray<string>> => {
  const out: Record<string, Array<string>> = {};
  for (const [name, path] of Object.entries(HTTP_CHANNELS)) {
    out[name] = http
      .requests()
      .filter((r) => r.path.split("?")[0] === path && r.body.includes(agentId))
      .map((r) => r.body);
  }
  out["smtp"] = smtp
    .mails()
    .filter((m) => m.subject.includes(agentId) || m.text.includes(agentId))
    .map((m) => `${m.subject}\n${m.text}`);
  return out;
};

const counts = (got: Record<string, ReadonlyArray<string>>) => Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.length]));
const everyChannel = (n: number) => Object.fromEntries([...Object.keys(HTTP_CHANNELS), "smtp"].map((k) => [k, n]));

const lastHeartbeatMs = async (orchestrator: RunningOrchestrator, agentId: string) =>
  Date.parse((await getAgent(orchestrator, agentId))?.last_heartbeat_at ?? "");

describe("alerts to every channel kind", () => {
  it(
    "sends exactly one unreachable alert per channel within timeout + sweep + 2 s of a kill -9, exactly one recovery when the agent is back, and nothing for a clean stop",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const database = yield* testDatabase("alerts_channels");
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const http = yield* scopedHttpReceiver();
          http.answer(204, HTTP_CHANNELS.discord);
          const smtp = yield* scopedSmtpSink();
          const orchestrator = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings, env: { ALERT_URLS: alertUrls(http, smtp) } });
          const crashing = uniqueName("crashing");
          const stopping = uniqueName("stopping");
          queues.adopt(workQueueName(crashing));
          queues.adopt(workQueueName(stopping));
          const first: Child = yield* startAgent({ agentId: crashing, replyQueue });
          const clean: Child = yield* startAgent({ agentId: stopping, replyQueue });
          for (const id of [crashing, stopping]) {
            yield* Effect.promise(() => eventually(`${id} online`, () => getAgent(orchestrator, id), (a) => a?.status === "online", AGENT_UP_MS));
          }

          first.signal("SIGKILL");
          yield* Effect.promise(() => first.exited);
          const lastBeat = yield* Effect.promise(() => lastHeartbeatMs(orchestrator, crashing));
          const alerted = yield* Effect.promise(() =>
            eventually("an unreachable alert on every channel", async () => received(http, smtp, crashing), (got) => Object.values(got).every((v) => v.length >= 1), 20_000, 50)
          );
          const alertedAfterMs = Date.now() - lastBeat;
          const firstReceipts = http.requests().filter((r) => r.body.includes(crashing)).map((r) => r.at);
          const mailedAt = smtp.mails().find((m) => m.subject.includes(crashing))?.at ?? Number.NaN;
          // Back: the same agent id, a new process.
          yield* startAgent({ agentId: crashing, replyQueue });
          const recovered = yield* Effect.promise(() =>
            eventually("a recovery on every channel", async () => received(http, smtp, crashing), (got) => Object.values(got).every((v) => v.length >= 2), 20_000, 50)
          );
          // A clean stop (SIGTERM: agent_shutdown) is not alerted: watched for several sweeps after it is offline.
          clean.signal("SIGTERM");
          yield* Effect.promise(() => eventually(`${stopping} offline`, () => getAgent(orchestrator, stopping), (a) => a?.status === "offline", 20_000));
          const afterStop = yield* Effect.promise(() => observeFor(async () => counts(received(http, smtp, stopping)), 3 * SWEEP_SECONDS * 1000 + 2000, 200));
          // And no second alert of either kind for the crashed one meanwhile.
          const finalCrashing = received(http, smtp, crashing);
          const listed = (yield* Effect.promise(() => orchestrator.get("/alerts"))).body as {
            alerts: ReadonlyArray<{ agent_id: string; kind: string; state: string; opened_at: string; deliveries: ReadonlyArray<{ state: string }> }>;
          };
          const openedAt = Date.parse(listed.alerts.find((a) => a.agent_id === crashing)?.opened_at ?? "");
          const delivery = [...firstReceipts.slice(0, 5), mailedAt].map((at) => at - openedAt);
          return { alerted, alertedAfterMs, delivery, recovered, afterStop, finalCrashing, listed, crashing, stopping };
        })
      );
      console.log(
        `alerts: unreachable alert on all six channels ${outcome.alertedAfterMs} ms after the last heartbeat (deadline ${ALERT_DEADLINE_MS} ms); ` +
          `from the offline transition to each channel (generic, ntfy, Discord, Slack, Gotify, SMTP): ${outcome.delivery.map((ms) => Math.round(ms)).join(" / ")} ms`
      );
      expect(outcome.alertedAfterMs).toBeLessThanOrEqual(ALERT_DEADLINE_MS);
      expect(counts(outcome.finalCrashing)).toEqual(everyChannel(2));
      const generic = (outcome.finalCrashing["generic"] ?? []).map((b) => JSON.parse(b) as Record<string, unknown>);
      expect(generic.map((b) => [b["kind"], b["event"], b["agent_id"]])).toEqual([
        ["unreachable", "opened", outcome.crashing],
        ["unreachable", "resolved", outcome.crashing]
      ]);
      expect(typeof generic[0]?.["summary"]).toBe("string");
      expect(typeof generic[0]?.["at"]).toBe("string");
      expect(outcome.finalCrashing["smtp"]?.[0]).toContain("is unreachable");
      expect(outcome.afterStop.every((c) => Object.values(c).every((n) => n === 0))).toBe(true);
      const mine = outcome.listed.alerts.filter((a) => a.agent_id === outcome.crashing);
      expect(mine.map((a) => [a.kind, a.state])).toEqual([["unreachable", "closed"]]);
      expect(mine[0]?.deliveries.every((d) => d.state === "sent")).toBe(true);
      expect(outcome.listed.alerts.filter((a) => a.agent_id === outcome.stopping)).toEqual([]);
    },
    120_000
  );
});

describe("alert delivery you can trust", () => {
  it(
    "delivers an alert to a receiver that was down for 30 s, across an orchestrator kill -9 and restart in between",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const database = yield* testDatabase("alerts_outage");
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const http = yield* scopedHttpReceiver();
          const env = { ALERT_URLS: `generic+http://127.0.0.1:${http.port}/down-for-a-while` };
          const first = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings, env });
          const agentId = uniqueName("lonely");
          queues.adopt(workQueueName(agentId));
          const agent = yield* startAgent({ agentId, replyQueue });
          yield* Effect.promise(() => eventually(`${agentId} online`, () => getAgent(first, agentId), (a) => a?.status === "online", AGENT_UP_MS));
          yield* Effect.promise(() => http.stop());
          const downAt = Date.now();
          agent.signal("SIGKILL");
          // The alert is written and its first attempt failed.
          yield* Effect.promise(() =>
            eventually(
              "a failed attempt recorded",
              async () => ((await first.get("/alerts")).body as { alerts: ReadonlyArray<{ deliveries: ReadonlyArray<{ attempts: number; state: string; last_status: string | null }> }> }).alerts,
              (alerts) => alerts.some((a) => a.deliveries.some((d) => d.attempts >= 1 && d.state === "pending" && d.last_status !== null)),
              20_000
            )
          );
          first.child.signal("SIGKILL");
          yield* Effect.promise(() => first.child.exited);
          const second = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings, env });
          yield* Effect.sleep(`${Math.max(0, 30_000 - (Date.now() - downAt))} millis`);
          yield* Effect.promise(() => http.start());
          const backAt = Date.now();
          const got = yield* Effect.promise(() =>
            http.waitFor(1, 90_000).catch(async (e: unknown) => {
              throw new Error(`${String(e)}; GET /alerts: ${JSON.stringify((await second.get("/alerts")).body)}`);
            })
          );
          const deliveredAfterMs = Date.now() - backAt;
          // Exactly one: nothing more arrives over a few more polls.
          const later = yield* Effect.promise(() => observeFor(async () => http.requests().length, 3000, 200));
          const listed = (yield* Effect.promise(() => second.get("/alerts"))).body as {
            alerts: ReadonlyArray<{ agent_id: string; deliveries: ReadonlyArray<{ state: string; attempts: number }> }>;
          };
          return { got, deliveredAfterMs, later, listed, agentId };
        })
      );
      console.log(`alerts: delivered ${outcome.deliveredAfterMs} ms after the receiver came back (backoff 2 s doubling, at most 5 min)`);
      expect(outcome.got.map((r) => (JSON.parse(r.body) as { agent_id: string; kind: string }).agent_id)).toEqual([outcome.agentId]);
      expect(outcome.later.every((n) => n === 1)).toBe(true);
      const delivery = outcome.listed.alerts.find((a) => a.agent_id === outcome.agentId)?.deliveries[0];
      expect(delivery?.state).toBe("sent");
      expect(delivery?.attempts).toBeGreaterThanOrEqual(2);
    },
    180_000
  );

  it(
    "sends each alert once with two orchestrators on one database and broker",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const database = yield* testDatabase("alerts_two");
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const http = yield* scopedHttpReceiver();
          const env = { ALERT_URLS: `generic+http://127.0.0.1:${http.port}/twice` };
          const one = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings, env });
          yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings, env });
          const agentId = uniqueName("shared");
          queues.adopt(workQueueName(agentId));
          const agent = yield* startAgent({ agentId, replyQueue });
          yield* Effect.promise(() => eventually(`${agentId} online`, () => getAgent(one, agentId), (a) => a?.status === "online", AGENT_UP_MS));
          agent.signal("SIGKILL");
          yield* Effect.promise(() => http.waitFor(1, 20_000));
          yield* startAgent({ agentId, replyQueue });
          yield* Effect.promise(() => http.waitFor(2, 20_000));
          const settled = yield* Effect.promise(() => observeFor(async () => http.requests().length, 3000, 200));
          return { bodies: http.requests().map((r) => JSON.parse(r.body) as { event: string; agent_id: string }), settled, agentId };
        })
      );
      expect(outcome.bodies.map((b) => [b.event, b.agent_id])).toEqual([
        ["opened", outcome.agentId],
        ["resolved", outcome.agentId]
      ]);
      expect(outcome.settled.every((n) => n === 2)).toBe(true);
    },
    120_000
  );
});
