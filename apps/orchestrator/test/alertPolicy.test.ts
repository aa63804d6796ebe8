import type { AlertOp, AlertRecord, ReviewItem, TransitionContext } from "@homelab/registry";
import { alertPolicy, durationText } from "../src/alerts/policy.ts";
import { quietAt } from "../src/alerts/quiet.ts";
import type { AlertSettings, ChannelSpec } from "../src/alerts/types.ts";
import { Redacted } from "effect";

const channel = (name: string): ChannelSpec => ({ name, scheme: "generic", display: `generic+http://127.0.0.1/${name}`, url: Redacted.make("x") });

const settings = (overrides: Partial<AlertSettings> = {}): AlertSettings => ({
  channels: [channel("phone"), channel("team")],
  rules: [],
  notifyStopped: false,
  flapTransitions: 3,
  flapWindowSeconds: 600,
  quiet: [],
  gpuErrorSeconds: 300,
  workFailedKinds: [],
  queueWaitSeconds: null,
  outageSeconds: 60,
  ...overrides
});

let nextId = 1;
const T0 = Date.parse("2026-12-06T12:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const context = (
  to: "online" | "offline",
  options: { from?: "online" | "offline" | null; reason?: string; at?: number; alerts?: ReadonlyArray<AlertRecord>; flips?: number; agent?: string } = {}
): TransitionContext => ({
  transition: {
    id: nextId++,
    agent_id: options.agent ?? "gaming-pc",
    from: options.from === undefined ? (to === "online" ? "offline" : "online") : options.from,
    to,
    reason: options.reason ?? (to === "offline" ? "no heartbeat for over 90 s" : "heartbeat"),
    at: at(options.at ?? 0)
  },
  alerts: options.alerts ?? [],
  flips: options.flips ?? 1,
  facts: { status: to, offline_reason: to === "offline" ? (options.reason ?? "no heartbeat for over 90 s") : null, last_heartbeat_at: at(-95), best_gpu_vram_gb: 20.5, gpu_count: 1 }
});

const alert = (kind: string, state: AlertRecord["state"] = "open", openedAt = 0, agent = "gaming-pc"): AlertRecord => ({
  alert_id: nextId++,
  agent_id: agent,
  kind,
  state,
  opened_at: at(openedAt),
  closed_at: null,
  subject: "",
  summary: `${agent} is ${kind}`,
  detail: ""
});

const brief = (ops: ReadonlyArray<AlertOp>) =>
  ops.map((op) => {
    if (op.op === "open") return `open ${op.kind}${op.state === "asleep" ? " asleep" : ""}${op.message === null ? "" : ` -> ${op.channels.join("+")}`}`;
    if (op.op === "close") return `close ${op.state}${op.message === null ? "" : ` -> ${op.channels.join("+")}`}`;
    return `wake -> ${op.channels.join("+")}`;
  });

describe("alert policy: what a liveness transition alerts", () => {
  it("alerts unreachable at once when the sweep marks an agent offline, naming its last heartbeat and free VRAM", () => {
    const ops = alertPolicy(settings()).decide(context("offline"));
    expect(brief(ops)).toEqual(["open unreachable -> phone+team"]);
    const [op] = ops;
    expect(op?.op === "open" && op.message).toMatchObject({
      kind: "unreachable",
      event: "opened",
      agent_id: "gaming-pc",
      summary: "gaming-pc is unreachable",
      at: at(0)
    });
    expect(op?.op === "open" && op.detail).toBe(
      "No heartbeat for over 90 s. Last heartbeat at 2026-12-06 11:58:25 UTC. Last free VRAM: 20.5 GB on its best GPU."
    );
  });

  it("leaves the VRAM out for an agent without a GPU", () => {
    const base = context("offline");
    const gpuLess = { ...base, facts: base.facts === null ? null : { ...base.facts, best_gpu_vram_gb: 0, gpu_count: 0 } };
    const [op] = alertPolicy(settings()).decide(gpuLess);
    expect(op?.op === "open" && op.detail).toBe("No heartbeat for over 90 s. Last heartbeat at 2026-12-06 11:58:25 UTC.");
  });

  it("says nothing of a first registration, nor of an agent that stopped cleanly unless notify_stopped is on", () => {
    expect(alertPolicy(settings()).decide(context("online", { from: null }))).toEqual([]);
    expect(alertPolicy(settings()).decide(context("offline", { reason: "agent_shutdown" }))).toEqual([]);
    expect(brief(alertPolicy(settings({ notifyStopped: true })).decide(context("offline", { reason: "agent_shutdown" })))).toEqual([
      "open stopped -> phone+team"
    ]);
  });

  it("closes the open alert with a recovery that says how long it lasted when the agent is back", () => {
    const open = alert("unreachable", "open", 0);
    const ops = alertPolicy(settings()).decide(context("online", { at: 192, alerts: [open], flips: 2 }));
    expect(brief(ops)).toEqual(["close closed -> phone+team"]);
    expect(ops[0]?.op === "close" && ops[0].message).toMatchObject({
      kind: "unreachable",
      event: "resolved",
      summary: "gaming-pc is back",
      detail: "It was unreachable for 3 min 12 s (since 2026-12-06 12:00:00 UTC).",
      since: at(0),
      duration_seconds: 192
    });
  });

  it("turns an agent past 3 flips in the window into one flapping alert, closing its open alert without a message, then stays silent", () => {
    const policy = alertPolicy(settings());
    const open = alert("unreachable");
    // The 4th flip (back from the 2nd outage): flapping instead of a recovery.
    expect(brief(policy.decide(context("online", { alerts: [open], flips: 4 })))).toEqual(["open flapping -> phone+team", "close superseded"]);
    // Offline as the 4th flip: flapping instead of a second unreachable alert.
    expect(brief(policy.decide(context("offline", { flips: 4 })))).toEqual(["open flapping -> phone+team"]);
    // While it flaps: nothing, either way.
    const flapping = alert("flapping");
    expect(policy.decide(context("offline", { alerts: [flapping], flips: 5 }))).toEqual([]);
    expect(policy.decide(context("online", { alerts: [flapping], flips: 6 }))).toEqual([]);
    // At 3 flips it is not flapping yet.
    expect(brief(policy.decide(context("offline", { flips: 3 })))).toEqual(["open unreachable -> phone+team"]);
  });

  it("keeps an agent asleep inside its quiet window (no message) and closes that silently when it is back inside it", () => {
    const quiet = [{ agents: ["gaming-pc"], fromMinute: 60, toMinute: 8 * 60, timeZone: "UTC" }];
    const policy = alertPolicy(settings({ quiet }));
    const threeAm = Date.parse("2026-12-07T03:00:00.000Z");
    const night = (to: "online" | "offline", alerts: ReadonlyArray<AlertRecord> = []): TransitionContext => ({
      ...context(to, { alerts }),
      transition: { ...context(to).transition, at: new Date(threeAm).toISOString() }
    });
    expect(brief(policy.decide(night("offline")))).toEqual(["open unreachable asleep"]);
    expect(brief(policy.decide(night("online", [alert("unreachable", "asleep")])))).toEqual(["close closed"]);
    // Another agent has no window: alerted.
    expect(brief(policy.decide({ ...night("offline"), transition: { ...night("offline").transition, agent_id: "nas" } }))).toEqual([
      "open unreachable -> phone+team"
    ]);
  });

  it("sends each kind only to the channels its rules name, and to every channel without rules", () => {
    const rules = [
      { kinds: ["unreachable" as const], agents: undefined, channels: ["phone"] },
      { kinds: undefined, agents: ["nas"], channels: ["team"] }
    ];
    const policy = alertPolicy(settings({ rules }));
    expect(brief(policy.decide(context("offline")))).toEqual(["open unreachable -> phone"]);
    expect(brief(policy.decide(context("offline", { agent: "nas" })))).toEqual(["open unreachable -> phone+team"]);
    expect(brief(policy.decide(context("offline", { flips: 4 })))).toEqual(["open flapping -> "]);
  });
});

describe("alert policy: as time passes", () => {
  const item = (alertRecord: AlertRecord, status: "online" | "offline", lastTransition: number | null, reason: string | null = null): ReviewItem => ({
    alert: alertRecord,
    facts: { status, offline_reason: reason, last_heartbeat_at: at(0), best_gpu_vram_gb: null, gpu_count: 0 },
    last_transition_at: lastTransition === null ? null : at(lastTransition)
  });

  it("says a flapping agent is stable again after a whole window without a transition, and alerts if it settled away", () => {
    const policy = alertPolicy(settings());
    const flapping = alert("flapping", "open", 0);
    expect(policy.review([item(flapping, "online", 100)], at(699))).toEqual([]);
    const calm = policy.review([item(flapping, "online", 100)], at(700));
    expect(brief(calm)).toEqual(["close closed -> phone+team"]);
    expect(calm[0]?.op === "close" && calm[0].message).toMatchObject({ summary: "gaming-pc is stable again (online)", event: "resolved" });
    const away = policy.review([item(flapping, "offline", 100, "no heartbeat for over 90 s")], at(700));
    expect(brief(away)).toEqual(["close closed -> phone+team", "open unreachable -> phone+team"]);
  });

  it("wakes an asleep alert when the quiet window ends with the agent still away, and drops it if the agent is back", () => {
    const quiet = [{ agents: ["gaming-pc"], fromMinute: 23 * 60, toMinute: 7 * 60, timeZone: "UTC" }];
    const policy = alertPolicy(settings({ quiet }));
    const asleep = alert("unreachable", "asleep");
    const inside = "2026-12-07T06:59:00.000Z";
    const after = "2026-12-07T07:00:00.000Z";
    expect(policy.review([item(asleep, "offline", null, "no heartbeat for over 90 s")], inside)).toEqual([]);
    expect(brief(policy.review([item(asleep, "offline", null, "no heartbeat for over 90 s")], after))).toEqual(["wake -> phone+team"]);
    expect(brief(policy.review([item(asleep, "online", null)], after))).toEqual(["close closed"]);
  });
});

describe("quiet windows", () => {
  it("reads the window in its time zone, crossing midnight when it ends before it starts", () => {
    const berlin = [{ agents: ["pc"], fromMinute: 60, toMinute: 8 * 60, timeZone: "Europe/Berlin" }];
    // 00:30 UTC is 01:30 in Berlin (winter): inside; 07:30 UTC is 08:30: outside.
    expect(quietAt(berlin, "pc", "2026-12-07T00:30:00.000Z")).toBe(true);
    expect(quietAt(berlin, "pc", "2026-12-07T07:30:00.000Z")).toBe(false);
    expect(quietAt(berlin, "other", "2026-12-07T00:30:00.000Z")).toBe(false);
    const overMidnight = [{ agents: ["pc"], fromMinute: 22 * 60, toMinute: 6 * 60, timeZone: "UTC" }];
    expect(quietAt(overMidnight, "pc", "2026-12-07T23:00:00.000Z")).toBe(true);
    expect(quietAt(overMidnight, "pc", "2026-12-07T05:59:00.000Z")).toBe(true);
    expect(quietAt(overMidnight, "pc", "2026-12-07T06:00:00.000Z")).toBe(false);
    expect(quietAt(overMidnight, "pc", "2026-12-07T21:59:00.000Z")).toBe(false);
  });

  it("words durations for people", () => {
    expect([durationText(45_000), durationText(192_000), durationText(3_600_000), durationText(7_500_000)]).toEqual(["45 s", "3 min 12 s", "1 h", "2 h 5 min"]);
  });
});

describe("alert policy: jobs, the queue and GPUs", () => {
  const event = (data: Record<string, unknown>) => ({ id: 1, kind: "work_ended", agent_id: "gaming-pc", subject: "5f0c2a8e-1d3b-4c6a-9e7f-0a1b2c3d4e5f", data, at: at(0) });

  it("alerts a failed, lost or timed-out job only for the kinds named (none by default), once, saying why", () => {
    const failed = event({ kind: "render", state: "failed", exit_code: 2, error: null, reason: null });
    expect(alertPolicy(settings()).decideEvent(failed)).toEqual([]);
    expect(alertPolicy(settings({ workFailedKinds: ["train"] })).decideEvent(failed)).toEqual([]);
    const ops = alertPolicy(settings({ workFailedKinds: ["render"] })).decideEvent(failed);
    expect(ops.map((o) => o.op === "notify" && [o.kind, o.subject, o.summary, o.detail])).toEqual([
      ["work_failed", failed.subject, "render job 5f0c2a8e failed on gaming-pc", `Job ${failed.subject} (kind render) ended failed: exit code 2.`]
    ]);
    const lost = alertPolicy(settings({ workFailedKinds: "all" })).decideEvent(event({ kind: "x", state: "timed_out", reason: "no result within 60 s" }));
    expect(lost[0]?.op === "notify" && lost[0].summary).toBe("x job 5f0c2a8e timed out on gaming-pc");
  });

  it("alerts a job waiting past the threshold and says how it left the queue", () => {
    const policy = alertPolicy(settings({ queueWaitSeconds: 600 }));
    const opened = policy.reviewQueue([{ work_id: "abcdef12-0000-4000-8000-000000000000", kind: "train", created_at: at(0), waiting_reason: "no GPU with 48 GB free" }], [], at(700));
    expect(opened.map((o) => o.op === "open" && [o.kind, o.subject, o.summary])).toEqual([
      ["work_waiting", "abcdef12-0000-4000-8000-000000000000", "train job abcdef12 has waited 11 min 40 s in the queue"]
    ]);
    const waitingAlert = { ...alert("work_waiting", "open", 700, ""), subject: "abcdef12-0000-4000-8000-000000000000" };
    const left = policy.reviewQueue([], [{ alert: waitingAlert, state: "running", agent_id: "gaming-pc" }], at(760));
    expect(left.map((o) => o.op === "close" && o.message?.["summary"])).toEqual(["job abcdef12 was placed on gaming-pc (running)"]);
  });

  const gpu = (id: string) => ({ id, name: `GPU ${id}` });
  const check = (over: Partial<import("@homelab/registry").GpuCheck>) => ({
    agent_id: "rig",
    boot_id: "boot-1",
    gpus: [gpu("A"), gpu("B")],
    gpu_error: null,
    seen_boot_id: "boot-1",
    seen: [gpu("A"), gpu("B")],
    errors_since: null,
    alerts: [],
    ...over
  });

  it("alerts a GPU its boot reported that heartbeats no longer list, once, and recovers it when it is back, even after a reboot", () => {
    const policy = alertPolicy(settings());
    const gone = policy.reviewGpus([check({ gpus: [gpu("A")] })], at(0));
    expect(brief(gone.ops)).toEqual(["open gpu_missing -> phone+team"]);
    expect(gone.memory[0]?.seen.map((g) => g.id)).toEqual(["A", "B"]);
    const missing = { ...alert("gpu_missing"), agent_id: "rig", subject: "B" };
    expect(policy.reviewGpus([check({ gpus: [gpu("A")], alerts: [missing] })], at(30)).ops).toEqual([]);
    // A new boot: what it reports is all it is held to; B back recovers the alert.
    const rebooted = policy.reviewGpus([check({ boot_id: "boot-2", gpus: [gpu("A"), gpu("B")], alerts: [missing] })], at(60));
    expect(brief(rebooted.ops)).toEqual(["close closed -> phone+team"]);
    // A first boot seen: nothing is missing.
    expect(policy.reviewGpus([check({ seen_boot_id: null, seen: [], gpus: [gpu("A")] })], at(0)).ops).toEqual([]);
  });

  it("alerts GPU collection failing longer than the threshold, and recovers when it works again", () => {
    const policy = alertPolicy(settings({ gpuErrorSeconds: 300 }));
    const first = policy.reviewGpus([check({ gpu_error: "nvidia-smi: exit 9" })], at(0));
    expect(first.ops).toEqual([]);
    expect(first.memory[0]?.errors_since).toBe(at(0));
    expect(policy.reviewGpus([check({ gpu_error: "nvidia-smi: exit 9", errors_since: at(0) })], at(299)).ops).toEqual([]);
    expect(brief(policy.reviewGpus([check({ gpu_error: "nvidia-smi: exit 9", errors_since: at(0) })], at(300)).ops)).toEqual(["open gpu_collection -> phone+team"]);
    const failing = { ...alert("gpu_collection"), agent_id: "rig" };
    const healed = policy.reviewGpus([check({ errors_since: at(0), alerts: [failing] })], at(400));
    expect(brief(healed.ops)).toEqual(["close closed -> phone+team"]);
    expect(healed.memory[0]?.errors_since).toBeNull();
  });
});
