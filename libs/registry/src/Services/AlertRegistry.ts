import { Context, type Effect } from "effect";
import type { RegistryError } from "../errors.ts";
import type { Liveness } from "./AgentRegistry.ts";

/** An alert's state (see the `alerts` table). */
export type AlertState = "open" | "closed" | "asleep" | "superseded";

export interface AlertRecord {
  readonly alert_id: number;
  readonly agent_id: string;
  readonly kind: string;
  /** What besides the agent it is about (a work_id, a GPU); '' for the agent itself. */
  readonly subject: string;
  readonly state: AlertState;
  readonly opened_at: string;
  readonly closed_at: string | null;
  readonly summary: string;
  readonly detail: string;
}

/** A recorded liveness transition, as the evaluator reads it. */
export interface AlertTransition {
  readonly id: number;
  readonly agent_id: string;
  readonly from: Liveness | null;
  readonly to: Liveness;
  readonly reason: string;
  readonly at: string;
}

/** What the registry holds of an agent now, for an alert's words. */
export interface AgentFacts {
  readonly status: Liveness;
  readonly offline_reason: string | null;
  readonly last_heartbeat_at: string;
  /** The free VRAM its last heartbeat reported on its best GPU. */
  readonly best_gpu_vram_gb: number | null;
  /** How many GPUs its last heartbeat listed. */
  readonly gpu_count: number;
}

/** What a policy decides about one transition. */
export interface TransitionContext {
  readonly transition: AlertTransition;
  /** The agent's open and asleep alerts, as the transitions before this one left them. */
  readonly alerts: ReadonlyArray<AlertRecord>;
  /** Its unreachable episodes' transitions (offline by timeout, and back from one) within the flap window ending at this one, this one included. */
  readonly flips: number;
  readonly facts: AgentFacts | null;
}

/** An open flapping alert or an asleep one, looked at again as time passes. */
export interface ReviewItem {
  readonly alert: AlertRecord;
  readonly facts: AgentFacts | null;
  /** The agent's last transition (any), or null. */
  readonly last_transition_at: string | null;
}

/** A message body (the channels' AlertMessage without its alert_id, which the registry fills in). */
export type MessageBody = Readonly<Record<string, unknown>>;

/** An event a trigger wrote (alert_events): a job that ended failed, lost or timed_out (`work_ended`). */
export interface AlertEvent {
  readonly id: number;
  readonly kind: string;
  readonly agent_id: string | null;
  readonly subject: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly at: string;
}

/** A queued job past the wait threshold with no alert yet. */
export interface WaitingWork {
  readonly work_id: string;
  readonly kind: string;
  readonly created_at: string;
  readonly waiting_reason: string | null;
}

/** An open work_waiting alert whose job is no longer queued. */
export interface LeftQueue {
  readonly alert: AlertRecord;
  readonly state: string;
  readonly agent_id: string | null;
}

/** An online agent's GPUs now, and what the alerts remember of its boot. */
export interface GpuCheck {
  readonly agent_id: string;
  readonly boot_id: string;
  /** Its last heartbeat's GPUs, each by uuid (or vendor name and index when it has none). */
  readonly gpus: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  /** The first GPU collection error its last heartbeat carried; null when none. */
  readonly gpu_error: string | null;
  readonly seen_boot_id: string | null;
  readonly seen: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly errors_since: string | null;
  /** Its open gpu_missing and gpu_collection alerts. */
  readonly alerts: ReadonlyArray<AlertRecord>;
}

/** What the alerts remember of an agent's GPUs after a check. */
export interface GpuMemory {
  readonly agent_id: string;
  readonly boot_id: string;
  readonly seen: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly errors_since: string | null;
}

/** What to write. Each op with a message puts one outbox row and one delivery per named channel in the same transaction. */
export type AlertOp =
  | {
      readonly op: "open";
      readonly agent_id: string;
      readonly kind: string;
      /** What besides the agent it is about (a work_id, a GPU); '' or absent: the agent. */
      readonly subject?: string;
      readonly state: "open" | "asleep";
      readonly summary: string;
      readonly detail: string;
      readonly at: string;
      readonly message: MessageBody | null;
      readonly channels: ReadonlyArray<string>;
    }
  | {
      readonly op: "close";
      readonly alert_id: number;
      readonly state: "closed" | "superseded";
      readonly at: string;
      readonly message: MessageBody | null;
      readonly channels: ReadonlyArray<string>;
    }
  | {
      /** A one-off: an alert recorded closed at once, with its message (a job that failed). */
      readonly op: "notify";
      readonly agent_id: string;
      readonly kind: string;
      readonly subject: string;
      readonly summary: string;
      readonly detail: string;
      readonly at: string;
      readonly message: MessageBody;
      readonly channels: ReadonlyArray<string>;
    }
  | {
      /** An asleep alert whose quiet window ended with the agent still away: it opens now, with its message. */
      readonly op: "wake";
      readonly alert_id: number;
      readonly message: MessageBody;
      readonly channels: ReadonlyArray<string>;
    };

/** Pure decisions, given by the orchestrator (its alert settings). */
export interface AlertPolicy {
  readonly flapWindowSeconds: number;
  readonly decide: (context: TransitionContext) => ReadonlyArray<AlertOp>;
  /** Open flapping and asleep alerts at `now` (ISO, the database clock). */
  readonly review: (items: ReadonlyArray<ReviewItem>, now: string) => ReadonlyArray<AlertOp>;
  /** An event a trigger wrote. */
  readonly decideEvent: (event: AlertEvent) => ReadonlyArray<AlertOp>;
  /** Queued jobs waiting longer than this raise `work_waiting`; null: off. */
  readonly queueWaitSeconds: number | null;
  readonly reviewQueue: (waiting: ReadonlyArray<WaitingWork>, left: ReadonlyArray<LeftQueue>, now: string) => ReadonlyArray<AlertOp>;
  /** Online agents' GPUs, when the caller asks for a GPU check: what to alert, and what to remember. */
  readonly reviewGpus: (checks: ReadonlyArray<GpuCheck>, now: string) => { readonly ops: ReadonlyArray<AlertOp>; readonly memory: ReadonlyArray<GpuMemory> };
}

export interface EvaluateResult {
  /** False when another orchestrator is evaluating (it holds the cursor). */
  readonly evaluated: boolean;
  readonly transitions: number;
  readonly messages: number;
}

/** A delivery claimed for sending: the message's body and the channel's name. */
export interface ClaimedDelivery {
  readonly message_id: number;
  readonly channel: string;
  readonly attempts: number;
  readonly created_at: string;
  readonly body: MessageBody;
}

/** The outcome of one attempt: sent, tried again at `retryAt`, or given up. */
export type DeliveryOutcome =
  | { readonly _tag: "Sent"; readonly status: string; readonly detail: string }
  | { readonly _tag: "Retry"; readonly status: string; readonly detail: string; readonly retryAt: string }
  | { readonly _tag: "GaveUp"; readonly status: string; readonly detail: string };

export interface DeliveryRecord {
  readonly message_id: number;
  readonly event: string;
  readonly channel: string;
  readonly state: "pending" | "sent" | "failed";
  readonly attempts: number;
  readonly last_status: string | null;
  readonly last_detail: string | null;
  readonly sent_at: string | null;
}

export interface AlertListing extends AlertRecord {
  readonly deliveries: ReadonlyArray<DeliveryRecord>;
}

export interface AlertRegistryShape {
  /**
   * Reads the transitions recorded since the last evaluation (by any
   * orchestrator) and writes what `policy` decides, then reviews open
   * flapping and asleep alerts — all in one transaction holding the
   * cursor row, so one orchestrator evaluates at a time and each
   * transition is decided once.
   */
  readonly evaluate: (policy: AlertPolicy, options?: { readonly limit?: number; readonly checkGpus?: boolean }) => Effect.Effect<EvaluateResult, RegistryError>;
  /**
   * Writes ops decided outside the evaluator (the orchestrator's own
   * outages), in one transaction: how many messages, and per op the alert it
   * opened or changed (null: none, e.g. one already open).
   */
  readonly apply: (
    ops: ReadonlyArray<AlertOp>
  ) => Effect.Effect<{ readonly messages: number; readonly alertIds: ReadonlyArray<number | null> }, RegistryError>;
  /**
   * Claims up to `limit` deliveries due at `now` (ISO; the caller's clock):
   * each is leased until `leaseUntil` (another orchestrator skips it) and
   * its attempt counted.
   */
  readonly claimDeliveries: (now: string, leaseUntil: string, limit: number) => Effect.Effect<ReadonlyArray<ClaimedDelivery>, RegistryError>;
  readonly recordDelivery: (messageId: number, channel: string, outcome: DeliveryOutcome, now: string) => Effect.Effect<void, RegistryError>;
  /** The newest alerts first, each with its messages' deliveries. */
  readonly listAlerts: (limit: number) => Effect.Effect<ReadonlyArray<AlertListing>, RegistryError>;
}

export class AlertRegistry extends Context.Service<AlertRegistry, AlertRegistryShape>()("@homelab/registry/AlertRegistry") {}
