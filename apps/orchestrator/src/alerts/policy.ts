import {
  type AlertEvent,
  type AlertOp,
  type AlertPolicy,
  type AlertRecord,
  type GpuCheck,
  type GpuMemory,
  type LeftQueue,
  type ReviewItem,
  SHUTDOWN_REASON,
  type TransitionContext,
  type WaitingWork
} from "@homelab/registry";
import type { AlertKind, AlertMessage, AlertSettings } from "./types.ts";
import { quietAt } from "./quiet.ts";

/**
 * What each liveness transition alerts, as pure functions of what the
 * registry read (the alert store writes the result in the same transaction
 * that reads it). No hold-down: the first unreachable alert goes out as soon
 * as the sweep marks the agent offline, its recovery as soon as it is back.
 *
 * - offline by the heartbeat timeout → `unreachable` (asleep instead, with no
 *   message, inside the agent's quiet window); back online → its recovery.
 * - offline by agent_shutdown → `stopped`, only with `notify_stopped`.
 * - more than `flapTransitions` unreachable/back transitions within the flap
 *   window → one `flapping` alert, which stands for the open one (closed
 *   without a message); no more messages for the agent until it has had no
 *   transition for a whole window, then "stable again" (and, if it is away
 *   then, its unreachable alert).
 */
export const alertPolicy = (settings: AlertSettings) => {
  const channelsFor = (kind: AlertKind, agentId: string): ReadonlyArray<string> => {
    const all = settings.channels.map((c) => c.name);
    if (settings.rules.length === 0) return all;
    const named = new Set<string>();
    for (const rule of settings.rules) {
      if (rule.kinds !== undefined && !rule.kinds.includes(kind)) continue;
      if (rule.agents !== undefined && !rule.agents.includes(agentId)) continue;
      for (const channel of rule.channels) named.add(channel);
    }
    return all.filter((name) => named.has(name));
  };
  const windowText = minutesText(settings.flapWindowSeconds);

  const message = (
    kind: AlertKind,
    event: AlertMessage["event"],
    agentId: string,
    summary: string,
    detail: string,
    at: string,
    since: string | null
  ): Omit<AlertMessage, "alert_id"> => ({
    kind,
    event,
    agent_id: agentId,
    summary,
    detail,
    at,
    since,
    duration_seconds: since === null ? null : Math.max(0, Math.round((Date.parse(at) - Date.parse(since)) / 1000))
  });

  const open = (kind: AlertKind, agentId: string, summary: string, detail: string, at: string, asleep = false, subject = ""): AlertOp => ({
    op: "open",
    agent_id: agentId,
    kind,
    subject,
    state: asleep ? "asleep" : "open",
    summary,
    detail,
    at,
    message: asleep ? null : message(kind, "opened", agentId, summary, detail, at, null),
    channels: channelsFor(kind, agentId)
  });

  const recover = (alert: AlertRecord, at: string): AlertOp => {
    const lasted = durationText(Date.parse(at) - Date.parse(alert.opened_at));
    const summary = alert.kind === "stopped" ? `${alert.agent_id} is running again` : `${alert.agent_id} is back`;
    const detail = `It was ${alert.kind === "stopped" ? "stopped" : "unreachable"} for ${lasted} (since ${clock(alert.opened_at)}).`;
    return {
      op: "close",
      alert_id: alert.alert_id,
      state: "closed",
      at,
      message: message(alert.kind as AlertKind, "resolved", alert.agent_id, summary, detail, at, alert.opened_at),
      channels: channelsFor(alert.kind as AlertKind, alert.agent_id)
    };
  };

  const silently = (alert: AlertRecord, at: string, state: "closed" | "superseded"): AlertOp => ({
    op: "close",
    alert_id: alert.alert_id,
    state,
    at,
    message: null,
    channels: []
  });

  const startFlapping = (context: TransitionContext): ReadonlyArray<AlertOp> => {
    const t = context.transition;
    const summary = `${t.agent_id} is flapping`;
    const detail =
      `${context.flips} unreachable/back transitions within ${windowText}; it is ${t.to} now. ` +
      `No more alerts for it until it has been stable for ${windowText}.`;
    return [
      open("flapping", t.agent_id, summary, detail, t.at),
      // The flapping alert stands for these: closed without a message.
      ...context.alerts.filter((a) => a.state === "open" && a.kind === "unreachable").map((a) => silently(a, t.at, "superseded")),
      ...context.alerts.filter((a) => a.state === "asleep").map((a) => silently(a, t.at, "closed"))
    ];
  };

  const decide = (context: TransitionContext): ReadonlyArray<AlertOp> => {
    const t = context.transition;
    if (t.from === null) return []; // registered: nothing to say
    const opened = context.alerts.filter((a) => a.state === "open");
    const flapping = opened.some((a) => a.kind === "flapping");
    if (t.to === "offline") {
      if (t.reason === SHUTDOWN_REASON) {
        if (!settings.notifyStopped || flapping) return [];
        return [open("stopped", t.agent_id, `${t.agent_id} stopped`, `It announced its shutdown.${lastSeen(context)}`, t.at)];
      }
      if (flapping) return [];
      if (context.flips > settings.flapTransitions) return startFlapping(context);
      const quiet = quietAt(settings.quiet, t.agent_id, t.at);
      return [open("unreachable", t.agent_id, `${t.agent_id} is unreachable`, `${capitalise(t.reason)}.${lastSeen(context)}`, t.at, quiet)];
    }
    // Back online.
    const asleep = context.alerts.filter((a) => a.state === "asleep").map((a) => silently(a, t.at, "closed"));
    if (flapping) return asleep;
    const wasUnreachable = opened.some((a) => a.kind === "unreachable");
    if (wasUnreachable && context.flips > settings.flapTransitions) return startFlapping(context);
    return [...opened.filter((a) => a.kind === "unreachable" || a.kind === "stopped").map((a) => recover(a, t.at)), ...asleep];
  };

  const review = (items: ReadonlyArray<ReviewItem>, now: string): ReadonlyArray<AlertOp> =>
    items.flatMap((item): ReadonlyArray<AlertOp> => {
      const { alert, facts } = item;
      const away = facts !== null && facts.status === "offline" && facts.offline_reason !== SHUTDOWN_REASON;
      if (alert.state === "asleep") {
        if (quietAt(settings.quiet, alert.agent_id, now)) return [];
        if (!away) return [silently(alert, now, "closed")];
        const detail = `${alert.detail} It went away during its quiet window (${clock(alert.opened_at)}) and is still away now that the window has ended.`;
        return [
          {
            op: "wake",
            alert_id: alert.alert_id,
            message: message("unreachable", "opened", alert.agent_id, alert.summary, detail, now, null),
            channels: channelsFor("unreachable", alert.agent_id)
          }
        ];
      }
      // An open flapping alert: calm for a whole window?
      const last = item.last_transition_at === null ? Number.NEGATIVE_INFINITY : Date.parse(item.last_transition_at);
      if (Date.parse(now) - last < settings.flapWindowSeconds * 1000) return [];
      const state = facts === null ? "gone" : away ? "unreachable" : facts.status === "offline" ? "stopped" : "online";
      const stable: AlertOp = {
        op: "close",
        alert_id: alert.alert_id,
        state: "closed",
        at: now,
        message: message(
          "flapping",
          "resolved",
          alert.agent_id,
          `${alert.agent_id} is stable again (${state})`,
          `No transition for ${windowText}; it was flapping since ${clock(alert.opened_at)}.`,
          now,
          alert.opened_at
        ),
        channels: channelsFor("flapping", alert.agent_id)
      };
      if (!away) return [stable];
      // Settled while away: its unreachable alert now (or asleep, inside a quiet window).
      const quiet = quietAt(settings.quiet, alert.agent_id, now);
      const detail = `No heartbeat since ${clock(facts.last_heartbeat_at)}, after flapping.`;
      return [stable, open("unreachable", alert.agent_id, `${alert.agent_id} is unreachable`, detail, now, quiet)];
    });

  /** A job that ended failed, lost or timed_out: a one-off alert for the kinds named (none by default). */
  const decideEvent = (event: AlertEvent): ReadonlyArray<AlertOp> => {
    if (event.kind !== "work_ended") return [];
    const taskKind = String(event.data["kind"] ?? "");
    const named = settings.workFailedKinds === "all" || settings.workFailedKinds.includes(taskKind);
    if (!named) return [];
    const agentId = event.agent_id ?? "";
    const state = String(event.data["state"] ?? "failed");
    const exit = event.data["exit_code"];
    const why = [
      typeof exit === "number" ? `exit code ${exit}` : "",
      typeof event.data["error"] === "string" ? String(event.data["error"]) : "",
      typeof event.data["reason"] === "string" ? String(event.data["reason"]) : ""
    ]
      .filter((part) => part !== "")
      .join("; ");
    const summary = `${taskKind} job ${event.subject.slice(0, 8)} ${state === "timed_out" ? "timed out" : state}${agentId === "" ? "" : ` on ${agentId}`}`;
    const detail = `Job ${event.subject} (kind ${taskKind}) ended ${state}${why === "" ? "" : `: ${why}`}.`;
    return [
      {
        op: "notify",
        agent_id: agentId,
        kind: "work_failed",
        subject: event.subject,
        summary,
        detail,
        at: event.at,
        message: message("work_failed", "opened", agentId, summary, detail, event.at, null),
        channels: channelsFor("work_failed", agentId)
      }
    ];
  };

  /** Jobs queued past the threshold: one alert each; when it leaves the queue, a recovery saying how it left. */
  const reviewQueue = (waiting: ReadonlyArray<WaitingWork>, left: ReadonlyArray<LeftQueue>, now: string): ReadonlyArray<AlertOp> => [
    ...waiting.map((w): AlertOp => {
      const summary = `${w.kind} job ${w.work_id.slice(0, 8)} has waited ${durationText(Date.parse(now) - Date.parse(w.created_at))} in the queue`;
      const detail = `Job ${w.work_id} (kind ${w.kind}) queued since ${clock(w.created_at)}${w.waiting_reason === null ? "" : `: ${w.waiting_reason}`}.`;
      return open("work_waiting", "", summary, detail, now, false, w.work_id);
    }),
    ...left.map((l): AlertOp => {
      const how = l.state === "queued" ? "is still queued" : l.agent_id === null ? `left the queue: ${l.state}` : `was placed on ${l.agent_id} (${l.state})`;
      const summary = `job ${l.alert.subject.slice(0, 8)} ${how}`;
      const detail = `It waited ${durationText(Date.parse(now) - Date.parse(l.alert.opened_at))} after the alert.`;
      return {
        op: "close",
        alert_id: l.alert.alert_id,
        state: "closed",
        at: now,
        message: message("work_waiting", "resolved", "", summary, detail, now, l.alert.opened_at),
        channels: channelsFor("work_waiting", "")
      };
    })
  ];

  /**
   * GPUs, per boot: one the boot reported and its heartbeats no longer list
   * is missing (back: recovered); GPU collection failing for longer than
   * `gpuErrorSeconds` alerts, and recovers when it works again. A new boot
   * starts afresh (a GPU back after a reboot recovers its alert).
   */
  const reviewGpus = (checks: ReadonlyArray<GpuCheck>, now: string) => {
    const ops: Array<AlertOp> = [];
    const memory: Array<GpuMemory> = [];
    for (const c of checks) {
      const sameBoot = c.seen_boot_id === c.boot_id;
      const present = new Set(c.gpus.map((g) => g.id));
      const seen = sameBoot ? [...c.seen, ...c.gpus.filter((g) => !c.seen.some((s) => s.id === g.id))] : [...c.gpus];
      for (const alert of c.alerts.filter((a) => a.kind === "gpu_missing" && present.has(a.subject))) {
        ops.push(recoverGpu(alert, now, `${alert.agent_id}'s GPU ${alert.subject} is back`));
      }
      if (sameBoot) {
        for (const gone of c.seen.filter((g) => !present.has(g.id) && !c.alerts.some((a) => a.kind === "gpu_missing" && a.subject === g.id))) {
          const summary = `${c.agent_id} lost a GPU: ${gone.name}`;
          const detail = `Its heartbeats no longer list GPU ${gone.id} (${gone.name}), which this boot reported before; ${c.gpus.length} GPU(s) reported now.`;
          ops.push(open("gpu_missing", c.agent_id, summary, detail, now, false, gone.id));
        }
      }
      const errorsSince = c.gpu_error === null ? null : sameBoot && c.errors_since !== null ? c.errors_since : now;
      const collectionAlert = c.alerts.find((a) => a.kind === "gpu_collection");
      if (c.gpu_error !== null && errorsSince !== null && collectionAlert === undefined) {
        const failingFor = Date.parse(now) - Date.parse(errorsSince);
        if (failingFor >= settings.gpuErrorSeconds * 1000) {
          const summary = `${c.agent_id} cannot read its GPUs`;
          const detail = `GPU collection has failed for ${durationText(failingFor)}: ${c.gpu_error}`;
          ops.push(open("gpu_collection", c.agent_id, summary, detail, now));
        }
      }
      if (c.gpu_error === null && collectionAlert !== undefined) {
        ops.push(recoverGpu(collectionAlert, now, `${c.agent_id} reads its GPUs again`));
      }
      memory.push({ agent_id: c.agent_id, boot_id: c.boot_id, seen, errors_since: errorsSince });
    }
    return { ops, memory };
  };

  const recoverGpu = (alert: AlertRecord, now: string, summary: string): AlertOp => ({
    op: "close",
    alert_id: alert.alert_id,
    state: "closed",
    at: now,
    message: message(
      alert.kind as AlertKind,
      "resolved",
      alert.agent_id,
      summary,
      `After ${durationText(Date.parse(now) - Date.parse(alert.opened_at))} (since ${clock(alert.opened_at)}).`,
      now,
      alert.opened_at
    ),
    channels: channelsFor(alert.kind as AlertKind, alert.agent_id)
  });

  const outageKind = (component: "broker" | "database"): AlertKind => (component === "broker" ? "orchestrator_broker" : "orchestrator_database");

  /** The orchestrator's own broker or database away past the threshold (`who`: `orchestrator@<host>`). */
  const outageOpened = (who: string, component: "broker" | "database", sinceMs: number, detail: string, nowMs: number): AlertOp => {
    const since = new Date(sinceMs).toISOString();
    const summary = `${who} lost its ${component}`;
    const text = `Away since ${clock(since)} (${durationText(nowMs - sinceMs)} so far): ${detail}. ${component === "database" ? "Heartbeats wait in the broker; nothing is marked offline meanwhile." : "Heartbeats cannot be heard; nothing is marked offline meanwhile."}`;
    return open(outageKind(component), who, summary, text, since);
  };

  const outageRecovered = (who: string, component: "broker" | "database", alertId: number, sinceMs: number, nowMs: number): AlertOp => {
    const since = new Date(sinceMs).toISOString();
    const at = new Date(nowMs).toISOString();
    return {
      op: "close",
      alert_id: alertId,
      state: "closed",
      at,
      message: message(outageKind(component), "resolved", who, `${who} has its ${component} back`, `It was away for ${durationText(nowMs - sinceMs)} (since ${clock(since)}).`, at, since),
      channels: channelsFor(outageKind(component), who)
    };
  };

  return {
    outageOpened,
    outageRecovered,
    flapWindowSeconds: settings.flapWindowSeconds,
    decide,
    review,
    decideEvent,
    queueWaitSeconds: settings.queueWaitSeconds,
    reviewQueue,
    reviewGpus
  };
};

const lastSeen = (context: TransitionContext): string => {
  const facts = context.facts;
  if (facts === null) return "";
  const vram =
    facts.gpu_count === 0 || facts.best_gpu_vram_gb === null ? "" : ` Last free VRAM: ${round1(facts.best_gpu_vram_gb)} GB on its best GPU.`;
  return ` Last heartbeat at ${clock(facts.last_heartbeat_at)}.${vram}`;
};

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
const round1 = (n: number): string => (Math.round(n * 10) / 10).toString();
/** `2026-12-06 07:01:02 UTC` from an ISO time. */
const clock = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/** `3 min 12 s`, `2 h 5 min`, `45 s`. */
export const durationText = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 === 0 ? "" : ` ${s % 60} s`}`;
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes === 0 ? "" : ` ${minutes} min`}`;
};

const minutesText = (seconds: number): string => (seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);
