import type { Redacted } from "effect";

/**
 * What is alerted (issue #17). An agent's liveness: `unreachable` (its
 * heartbeats stopped: the sweep's timeout), `stopped` (it announced its
 * shutdown; only with `notify_stopped`), `flapping` (too many transitions in
 * the flap window: one alert instead of a pair per flap). `test`: a message
 * from POST /alerts/test.
 */
export const ALERT_KINDS = [
  "unreachable",
  "stopped",
  "flapping",
  "gpu_missing",
  "gpu_collection",
  "work_failed",
  "work_waiting",
  "orchestrator_broker",
  "orchestrator_database",
  "test"
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A message as channels send it: an alert opening, its recovery, or a test. */
export interface AlertMessage {
  readonly kind: AlertKind;
  /** `opened`: the alert starts; `resolved`: it is over (a recovery); `test`: POST /alerts/test. */
  readonly event: "opened" | "resolved" | "test";
  /** The alert's id in the registry (GET /alerts); null for a test. */
  readonly alert_id: number | null;
  /** The agent it is about; null for a test. */
  readonly agent_id: string | null;
  /** One line, e.g. "gaming-pc is unreachable: no heartbeat for over 90 s". */
  readonly summary: string;
  /** More lines (the figures that matter: last heartbeat, last free VRAM, how long it lasted). */
  readonly detail: string;
  /** When the event happened (ISO, the database clock). */
  readonly at: string;
  /** When the alert opened (ISO); for a recovery, with `duration_seconds`. */
  readonly since: string | null;
  readonly duration_seconds: number | null;
}

export const CHANNEL_SCHEMES = ["generic", "ntfy", "discord", "slack", "gotify", "smtp"] as const;
export type ChannelScheme = (typeof CHANNEL_SCHEMES)[number];

/** A configured channel. Its URL holds secrets (tokens, passwords): only `display` is ever logged or shown. */
export interface ChannelSpec {
  /** Unique among the channels: the name given in `alerts.channels`, or for ALERT_URLS the scheme (`ntfy`, then `ntfy-2`, …). Used in metrics labels and rules. */
  readonly name: string;
  readonly scheme: ChannelScheme;
  /** The URL with every secret (password, token, webhook key, query secrets) replaced by `***`. */
  readonly display: string;
  readonly url: Redacted.Redacted<string>;
}

/** What the far end answered: `ok` when it accepted the message (2xx, or the SMTP server's 250). */
export interface ChannelReply {
  readonly ok: boolean;
  /** `HTTP 204`, `SMTP 250`, or what went wrong before an answer (`connection refused`, `timed out after 10 s`). */
  readonly status: string;
  /** The start of the far end's answer (at most 200 characters), never a secret of ours. */
  readonly detail: string;
}

/** `agents` sleep from `from` to `to` (minutes after midnight, local time of `timeZone`, or the orchestrator's); `to` < `from` crosses midnight. */
export interface QuietWindow {
  readonly agents: ReadonlyArray<string>;
  readonly fromMinute: number;
  readonly toMinute: number;
  /** An IANA zone (`Europe/Berlin`); undefined: the orchestrator's own. */
  readonly timeZone: string | undefined;
}

/** Which channels get which alerts; no rule at all: every channel gets every alert. */
export interface AlertRule {
  /** Only these kinds; undefined: all. */
  readonly kinds: ReadonlyArray<AlertKind> | undefined;
  /** Only these agents; undefined: all. */
  readonly agents: ReadonlyArray<string> | undefined;
  readonly channels: ReadonlyArray<string>;
}

export interface AlertSettings {
  readonly channels: ReadonlyArray<ChannelSpec>;
  readonly rules: ReadonlyArray<AlertRule>;
  /** Alert when an agent stops cleanly (agent_shutdown) too; default false. */
  readonly notifyStopped: boolean;
  /** More than this many transitions within `flapWindowSeconds` is flapping (default 3 in 600 s). */
  readonly flapTransitions: number;
  readonly flapWindowSeconds: number;
  readonly quiet: ReadonlyArray<QuietWindow>;
  /** GPU collection failing this long alerts (default 300 s). */
  readonly gpuErrorSeconds: number;
  /** The task kinds whose failed, lost or timed_out jobs alert; "all", or none by default. */
  readonly workFailedKinds: ReadonlyArray<string> | "all";
  /** A job queued longer than this alerts; null (the default): never. */
  readonly queueWaitSeconds: number | null;
  /** The orchestrator's broker or database away longer than this alerts (default 60 s). */
  readonly outageSeconds: number;
}
