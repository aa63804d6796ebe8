import { type AlertOp, type AlertPolicy, type AlertRecord, type ReviewItem, SHUTDOWN_REASON, type TransitionContext } from "@homelab/registry";
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
export const alertPolicy = (settings: AlertSettings): AlertPolicy => {
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

  const open = (kind: AlertKind, agentId: string, summary: string, detail: string, at: string, asleep = false): AlertOp => ({
    op: "open",
    agent_id: agentId,
    kind,
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

  return { flapWindowSeconds: settings.flapWindowSeconds, decide, review };
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
