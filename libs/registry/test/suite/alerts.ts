import { Effect, Option } from "effect";
import { sql } from "drizzle-orm";
import {
  type AlertOp,
  type AlertPolicy,
  AlertRegistry,
  AgentRegistry,
  type GpuCheck,
  SHUTDOWN_REASON,
  type TransitionContext,
  WorkRegistry
} from "../../src/index.ts";
import { BOOT_1, BOOT_2, exec, heartbeat } from "../fixtures.ts";

const WORK_A = "5f0c2a8e-1d3b-4c6a-9e7f-0a1b2c3d4e5f";
import type { Run } from "./run.ts";

/** A policy that decides nothing: each test overrides what it looks at. */
const inert = {
  flapWindowSeconds: 600,
  decide: () => [],
  review: () => [],
  decideEvent: () => [],
  queueWaitSeconds: null,
  reviewQueue: () => [],
  reviewGpus: () => ({ ops: [], memory: [] })
} satisfies AlertPolicy;

/** A plain policy for the store's tests: an unreachable alert per timeout, closed when the agent is back; it remembers what it was shown. */
const simplePolicy = (seen: Array<TransitionContext>, channels: ReadonlyArray<string> = ["phone", "team"], review: AlertPolicy["review"] = () => []) =>
  ({
    ...inert,
    decide: (context) => {
      seen.push(context);
      const t = context.transition;
      if (t.to === "offline" && t.reason !== SHUTDOWN_REASON) {
        return [
          {
            op: "open",
            agent_id: t.agent_id,
            kind: "unreachable",
            state: "open",
            summary: `${t.agent_id} is unreachable`,
            detail: "",
            at: t.at,
            message: { kind: "unreachable", event: "opened", agent_id: t.agent_id, summary: `${t.agent_id} is unreachable`, at: t.at },
            channels
          }
        ];
      }
      if (t.to === "online" && t.from === "offline") {
        return context.alerts
          .filter((a) => a.state === "open")
          .map(
            (a): AlertOp => ({
              op: "close",
              alert_id: a.alert_id,
              state: "closed",
              at: t.at,
              message: { kind: a.kind, event: "resolved", agent_id: t.agent_id, summary: `${t.agent_id} is back`, at: t.at },
              channels
            })
          );
      }
      return [];
    },
    review
  }) satisfies AlertPolicy;

export const alertTests = (run: Run): void =>
  describe("alerts (the outbox)", () => {
    it("decides each transition once, in order, writing the alert, its message and one delivery per channel in the same transaction", async () => {
      const seen: Array<TransitionContext> = [];
      const out = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const alerts = yield* AlertRegistry;
          yield* agents.applyHeartbeats([heartbeat("al-a", { seq: 1, gpus: [20] }), heartbeat("al-b", { seq: 1 })]);
          yield* agents.markOffline(["al-a"], "no heartbeat for over 90 s");
          const first = yield* alerts.evaluate(simplePolicy(seen));
          const again = yield* alerts.evaluate(simplePolicy(seen));
          yield* agents.applyHeartbeats([heartbeat("al-a", { seq: 2, gpus: [20] })]);
          const back = yield* alerts.evaluate(simplePolicy(seen));
          return { first, again, back, listed: yield* alerts.listAlerts(10) };
        })
      );
      // Two registrations, the timeout, the return: each seen once, in order.
      expect(seen.map((c) => [c.transition.agent_id, c.transition.from, c.transition.to])).toEqual([
        ["al-a", null, "online"],
        ["al-b", null, "online"],
        ["al-a", "online", "offline"],
        ["al-a", "offline", "online"]
      ]);
      expect(seen[2]?.facts).toMatchObject({ status: "offline", offline_reason: "no heartbeat for over 90 s", best_gpu_vram_gb: 20, gpu_count: 1 });
      expect(seen[3]?.alerts.map((a) => [a.kind, a.state])).toEqual([["unreachable", "open"]]);
      expect([out.first.transitions, out.first.messages, out.again.transitions, out.back.messages]).toEqual([3, 1, 0, 1]);
      const [alert] = out.listed;
      expect(alert).toMatchObject({ agent_id: "al-a", kind: "unreachable", state: "closed", summary: "al-a is unreachable" });
      expect(alert?.deliveries.map((d) => [d.event, d.channel, d.state, d.attempts])).toEqual([
        ["opened", "phone", "pending", 0],
        ["opened", "team", "pending", 0],
        ["resolved", "phone", "pending", 0],
        ["resolved", "team", "pending", 0]
      ]);
    });

    it("keeps at most one open alert per agent and kind, and writes no message for the one refused", async () => {
      const twice: AlertPolicy = {
        ...inert,
        decide: ({ transition: t }) =>
          t.to !== "offline"
            ? []
            : [1, 2].map(() => ({
                op: "open",
                agent_id: t.agent_id,
                kind: "unreachable",
                state: "open",
                summary: "twice",
                detail: "",
                at: t.at,
                message: { summary: "twice" },
                channels: ["phone"]
              })),
        review: () => []
      };
      const out = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const alerts = yield* AlertRegistry;
          yield* agents.applyHeartbeats([heartbeat("al-twice", { seq: 1 })]);
          yield* agents.markOffline(["al-twice"], "no heartbeat for over 90 s");
          return { result: yield* alerts.evaluate(twice), listed: yield* alerts.listAlerts(10) };
        })
      );
      expect(out.result.messages).toBe(1);
      expect(out.listed.filter((a) => a.state === "open")).toHaveLength(1);
    });

    it("counts an agent's unreachable flips in the flap window, leaving a clean stop and its return out", async () => {
      const seen: Array<TransitionContext> = [];
      await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const alerts = yield* AlertRegistry;
          yield* agents.applyHeartbeats([heartbeat("al-flip", { seq: 1 })]);
          yield* agents.markOffline(["al-flip"], "no heartbeat for over 90 s");
          yield* agents.applyHeartbeats([heartbeat("al-flip", { seq: 2 })]);
          yield* agents.markOffline(["al-flip"], SHUTDOWN_REASON);
          yield* agents.applyHeartbeats([heartbeat("al-flip", { seq: 0, boot: BOOT_2 })]);
          yield* agents.markOffline(["al-flip"], "no heartbeat for over 90 s");
          yield* alerts.evaluate(simplePolicy(seen));
        })
      );
      expect(seen.map((c) => [c.transition.to, c.flips])).toEqual([
        ["online", 0],
        ["offline", 1],
        ["online", 2],
        ["offline", 2],
        ["online", 2],
        ["offline", 3]
      ]);
    });

    it("hands a due delivery to one claimer while it is leased, retries it when its time comes, and records the send", async () => {
      const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, s)).toISOString();
      const out = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const alerts = yield* AlertRegistry;
          yield* agents.applyHeartbeats([heartbeat("al-claim", { seq: 1 })]);
          yield* agents.markOffline(["al-claim"], "no heartbeat for over 90 s");
          yield* alerts.evaluate(simplePolicy([], ["phone"]));
          const first = yield* alerts.claimDeliveries(at(0), at(60), 10);
          const whileLeased = yield* alerts.claimDeliveries(at(1), at(61), 10);
          const claimed = first[0];
          if (claimed === undefined) return { first, whileLeased, early: [], due: [], listed: [] };
          yield* alerts.recordDelivery(claimed.message_id, claimed.channel, { _tag: "Retry", status: "HTTP 500", detail: "down", retryAt: at(4) }, at(2));
          const early = yield* alerts.claimDeliveries(at(3), at(63), 10);
          const due = yield* alerts.claimDeliveries(at(5), at(65), 10);
          yield* alerts.recordDelivery(claimed.message_id, claimed.channel, { _tag: "Sent", status: "HTTP 200", detail: "" }, at(6));
          return { first, whileLeased, early, due, listed: yield* alerts.listAlerts(10) };
        })
      );
      expect(out.first.map((d) => [d.channel, d.attempts, d.body["summary"], d.body["alert_id"]])).toEqual([["phone", 1, "al-claim is unreachable", 1]]);
      expect(out.whileLeased).toEqual([]);
      expect(out.early).toEqual([]);
      expect(out.due.map((d) => d.attempts)).toEqual([2]);
      expect(out.listed[0]?.deliveries).toEqual([
        expect.objectContaining({ channel: "phone", state: "sent", attempts: 2, last_status: "HTTP 200", sent_at: at(6) })
      ]);
    });

    it("gives the review open flapping and asleep alerts with the agent's facts, and writes what it decides", async () => {
      const reviewed: Array<string> = [];
      const asleepPolicy: AlertPolicy = {
        ...inert,
        decide: ({ transition: t }) =>
          t.to === "offline"
            ? [
                {
                  op: "open",
                  agent_id: t.agent_id,
                  kind: "unreachable",
                  state: "asleep",
                  summary: "asleep",
                  detail: "",
                  at: t.at,
                  message: null,
                  channels: ["phone"]
                }
              ]
            : [],
        review: (items, now) =>
          items.map((item): AlertOp => {
            reviewed.push(`${item.alert.state}:${item.facts?.status ?? "?"}:${item.last_transition_at !== null}:${now.endsWith("Z")}`);
            return { op: "wake", alert_id: item.alert.alert_id, message: { summary: "still away" }, channels: ["phone"] };
          })
      };
      const out = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const alerts = yield* AlertRegistry;
          yield* agents.applyHeartbeats([heartbeat("al-sleep", { seq: 1 })]);
          yield* agents.markOffline(["al-sleep"], "no heartbeat for over 90 s");
          const result = yield* alerts.evaluate(asleepPolicy);
          return { result, listed: yield* alerts.listAlerts(10), agent: yield* agents.getAgent("al-sleep") };
        })
      );
      expect(Option.isSome(out.agent)).toBe(true);
      expect(reviewed).toEqual(["asleep:offline:true:true"]);
      expect(out.result.messages).toBe(1);
      expect(out.listed.map((a) => [a.state, a.deliveries.map((d) => d.event)])).toEqual([["open", ["opened"]]]);
    });

    it("reads a job that ended failed from the event its trigger wrote in the same transaction, once, and records a one-off alert with its message", async () => {
      const events: Array<string> = [];
      const policy: AlertPolicy = {
        ...inert,
        decideEvent: (event) => {
          events.push(`${event.kind}:${event.subject}:${String(event.data["state"])}:${String(event.data["kind"])}`);
          return [
            {
              op: "notify",
              agent_id: event.agent_id ?? "",
              kind: "work_failed",
              subject: event.subject,
              summary: "failed",
              detail: "",
              at: event.at,
              message: { summary: "failed" },
              channels: ["phone"]
            }
          ];
        }
      };
      const out = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const work = yield* WorkRegistry;
          const alerts = yield* AlertRegistry;
          yield* agents.applyHeartbeats([heartbeat("al-work", { seq: 1, gpus: [20] })]);
          const routed = yield* work.route({ work_id: WORK_A, kind: "echo", params: {}, requirements: {}, timeout_seconds: 60 });
          yield* alerts.evaluate(inert);
          yield* agents.markOffline(["al-work"], "no heartbeat for over 90 s");
          const first = yield* alerts.evaluate(policy);
          const again = yield* alerts.evaluate(policy);
          return { routed: routed._tag, first, again, listed: yield* alerts.listAlerts(10) };
        })
      );
      expect(out.routed).toBe("Booked");
      expect(events).toEqual([`work_ended:${WORK_A}:lost:echo`]);
      expect([out.first.messages, out.again.messages]).toEqual([1, 0]);
      expect(out.listed.map((a) => [a.kind, a.subject, a.state])).toEqual([["work_failed", WORK_A, "closed"]]);
    });

    it("hands the queue review the jobs waiting past the threshold with no alert yet, and those that left the queue since", async () => {
      const seen: Array<string> = [];
      const policy: AlertPolicy = {
        ...inert,
        queueWaitSeconds: 0,
        reviewQueue: (waiting, left) => {
          seen.push(`waiting ${waiting.map((w) => w.work_id).join(",")}; left ${left.map((l) => `${l.alert.subject}:${l.state}`).join(",")}`);
          return waiting.map((w) => ({
            op: "open",
            agent_id: "",
            kind: "work_waiting",
            subject: w.work_id,
            state: "open",
            summary: "waiting",
            detail: "",
            at: w.created_at,
            message: null,
            channels: []
          }));
        }
      };
      await run(
        Effect.gen(function* () {
          const work = yield* WorkRegistry;
          const alerts = yield* AlertRegistry;
          yield* work.enqueue({ work_id: WORK_A, kind: "echo", params: {}, requirements: { min_vram_gb: 999 }, timeout_seconds: 60 }, { priority: 0, maxWaitSeconds: undefined });
          yield* exec(sql`select pg_sleep(0.01)`);
          yield* alerts.evaluate(policy);
          yield* alerts.evaluate(policy);
          yield* work.cancel(WORK_A);
          yield* alerts.evaluate(policy);
        })
      );
      // Called only when there is something: the waiting job once (its alert then exists), then once it left.
      expect(seen).toEqual([`waiting ${WORK_A}; left `, `waiting ; left ${WORK_A}:cancelled`]);
    });

    it("gives the GPU check each online agent's GPUs, GPU errors and what its boot reported before, and keeps what the policy remembers", async () => {
      const checks: Array<GpuCheck> = [];
      const policy: AlertPolicy = {
        ...inert,
        reviewGpus: (items, now) => {
          checks.push(...items);
          return { ops: [], memory: items.map((c) => ({ agent_id: c.agent_id, boot_id: c.boot_id, seen: c.gpus, errors_since: now })) };
        }
      };
      await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const alerts = yield* AlertRegistry;
          yield* agents.applyHeartbeats([heartbeat("al-gpu", { seq: 1, gpus: [20, 10] })]);
          yield* alerts.evaluate(policy, { checkGpus: true });
          yield* agents.applyHeartbeats([heartbeat("al-gpu", { seq: 2, gpus: [20] })]);
          yield* alerts.evaluate(policy);
          yield* alerts.evaluate(policy, { checkGpus: true });
        })
      );
      expect(checks.map((c) => [c.agent_id, c.gpus.map((g) => g.id), c.seen.map((g) => g.id), c.seen_boot_id, c.errors_since === null, c.gpu_error])).toEqual([
        ["al-gpu", ["GPU-al-gpu-0", "GPU-al-gpu-1"], [], null, true, null],
        ["al-gpu", ["GPU-al-gpu-0"], ["GPU-al-gpu-0", "GPU-al-gpu-1"], BOOT_1, false, null]
      ]);
    });
  });
