import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex
} from "drizzle-orm/pg-core";

// The tables of SPEC §5. drizzle-kit generates migrations/ from this file;
// after changing it run `npx drizzle-kit generate` in libs/registry and commit
// the SQL and meta/ it writes.

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });

/** One row per agent ever seen: liveness decided here, everything else as its latest heartbeat said. */
export const agentRegistry = pgTable(
  "agent_registry",
  {
    agentId: text("agent_id").primaryKey(),
    agentType: text("agent_type").notNull(),
    poolName: text("pool_name").notNull(),
    /** Liveness: online | offline, decided by the orchestrator alone. */
    status: text("status").notNull(),
    /** The agent's own report: online | busy | draining. */
    reportedStatus: text("reported_status").notNull(),
    capabilities: jsonb("capabilities").notNull(),
    resourceMetrics: jsonb("resource_metrics").notNull(),
    /** The database clock at receipt, never the agent's. */
    lastHeartbeatAt: timestamptz("last_heartbeat_at").notNull(),
    bootId: text("boot_id").notNull(),
    /** When the registered boot started, by the agent's clock (null: an agent that does not say). */
    bootStartedAt: timestamptz("boot_started_at"),
    // bigint: the protocol allows any non-negative integer a JSON number can
    // carry, and one out-of-range seq must not fail a whole batch.
    lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
    registeredAt: timestamptz("registered_at").notNull().defaultNow(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
    // The figures capacity answers and routing filter and sort on, copied out
    // of resource_metrics by applyHeartbeats (computed in the orchestrator,
    // not the database: as generated columns they halved the database's
    // heartbeat rate), so a query over thousands of agents reads plain columns.
    /** Free VRAM of the best single GPU, 0 with none (SPEC §5: requirements are per GPU). */
    bestGpuVramGb: doublePrecision("best_gpu_vram_gb").notNull().default(0),
    coresAvailable: doublePrecision("cores_available").notNull().default(0),
    memoryAvailableGb: doublePrecision("memory_available_gb").notNull().default(0),
    gpuType: text("gpu_type").notNull().default("none"),
    /** How many jobs the agent runs at once, as its heartbeat says (null: it does not say; no slot limit). */
    maxConcurrentWork: integer("max_concurrent_work"),
    /** Per task kind, what the kind `requires` of the machine, as the heartbeat says ({} or null: nothing). */
    taskRequires: jsonb("task_requires"),
    /** Drained through the API: no new work until resumed; kept across restarts and heartbeats. */
    drained: boolean("drained").notNull().default(false),
    /** When the router last gave this agent work (ties go to the one given work least recently). */
    lastGivenAt: timestamptz("last_given_at"),
    /**
     * The GPU inventory (driver, CUDA, per-GPU PCI bus id, MIG, ECC, power
     * limit) from the last heartbeat of this boot that carried one; agents
     * send it at start and every 10 minutes, not in every heartbeat. Null
     * when the current boot has sent none (no NVIDIA GPU, or not yet).
     */
    gpuInventory: jsonb("gpu_inventory"),
    /** Why it went offline (the transition's reason: "agent_shutdown" or the heartbeat timeout); null while online. */
    offlineReason: text("offline_reason")
  },
  (t) => [
    // The offline sweep: online agents whose last heartbeat is older than X.
    // Written on every heartbeat, and still cheaper to keep: dropped, the
    // real ingest run (tools/bench/ingest.ts, 5,000/s) cost PostgreSQL 102
    // µs per heartbeat instead of 85-95, though applying batches one after
    // another alone (tools/bench/apply-cost.ts) had measured it cheaper.
    index("agent_registry_status_last_heartbeat_idx").on(t.status, t.lastHeartbeatAt),
    // Routing: the online agent with the most of the resource a job is
    // placed by (VRAM on one GPU, memory, cores), read in that order until one
    // passes the other filters (SPEC §5). Every heartbeat changes these
    // figures, so each index is written on every heartbeat: with all three the
    // database alone applies ~9.5k heartbeats/s (13.7k with the VRAM one
    // only), and router p99 with 10,000 agents is 12-15 ms (17-23 ms).
    index("agent_registry_route_vram_idx").on(t.bestGpuVramGb.desc()).where(sql`${t.status} = 'online'`),
    index("agent_registry_route_memory_idx").on(t.memoryAvailableGb.desc()).where(sql`${t.status} = 'online'`),
    index("agent_registry_route_cores_idx").on(t.coresAvailable.desc()).where(sql`${t.status} = 'online'`),
    check("agent_registry_status_check", sql`${t.status} in ('online', 'offline')`),
    check("agent_registry_reported_status_check", sql`${t.reportedStatus} in ('online', 'busy', 'draining')`)
  ]
);

/** Every liveness change; `from_status` is null when the agent registered. */
export const agentStatusTransitions = pgTable(
  "agent_status_transitions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    agentId: text("agent_id").notNull(),
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    at: timestamptz("at").notNull().defaultNow(),
    reason: text("reason").notNull()
  },
  (t) => [index("agent_status_transitions_agent_at_idx").on(t.agentId, t.at)]
);

/**
 * Per agent, one sample per minute: the first heartbeat applied in that
 * minute (written with the ingest batch; later ones in the minute change
 * nothing), for the dashboard's history charts. Kept HISTORY_RETENTION_DAYS.
 */
export const agentHistory = pgTable(
  "agent_history",
  {
    agentId: text("agent_id").notNull(),
    minute: timestamptz("minute").notNull(),
    cpuLoad1min: doublePrecision("cpu_load_1min").notNull(),
    cpuCoresTotal: doublePrecision("cpu_cores_total").notNull(),
    memoryTotalGb: doublePrecision("memory_total_gb").notNull(),
    memoryAvailableGb: doublePrecision("memory_available_gb").notNull(),
    /** The heartbeat's `resources.gpus` as sent. */
    gpus: jsonb("gpus").notNull()
  },
  (t) => [primaryKey({ columns: [t.agentId, t.minute] }), index("agent_history_minute_idx").on(t.minute)]
);

/** Work submitted through `POST /work`, the agent and GPU it was booked on, and its result. */
export const work = pgTable(
  "work",
  {
    workId: text("work_id").primaryKey(),
    kind: text("kind").notNull(),
    params: jsonb("params").notNull(),
    requirements: jsonb("requirements").notNull(),
    timeoutSeconds: integer("timeout_seconds").notNull(),
    /** The agent it was placed on; null while it waits in the queue. */
    agentId: text("agent_id"),
    /** Queue order: higher first, then older. */
    priority: integer("priority").notNull().default(0),
    /** Submission order (a sequence, so two jobs submitted in the same clock tick still have an order). */
    submitOrder: bigserial("submit_order", { mode: "number" }).notNull(),
    /** A queued job still waiting at this time ends `expired` (null: it waits as long as it takes). */
    queueExpiresAt: timestamptz("queue_expires_at"),
    /** A result that arrived after the job had already ended (lost, timed_out, cancelled, expired): kept, state unchanged. */
    lateResult: jsonb("late_result"),
    /** The GPU the VRAM requirement is booked against (SPEC §5); null when none was asked for. */
    gpuIndex: integer("gpu_index"),
    /** What was handed out on that agent (cores, memory, VRAM), subtracted from its free capacity while running. */
    allocation: jsonb("allocation").notNull(),
    state: text("state").notNull(),
    /** The agent's work_result payload, once one arrived. */
    result: jsonb("result"),
    /** Why the orchestrator ended it (lost, timed_out, not dispatched); null while it runs or when the agent reported. */
    reason: text("reason"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    /** When the request was confirmed on the agent's work queue. */
    dispatchedAt: timestamptz("dispatched_at"),
    /** When a heartbeat first listed it in current_work. */
    startedAt: timestamptz("started_at"),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
    finishedAt: timestamptz("finished_at")
  },
  (t) => [
    // Capacity booked on an agent: its work still pending, dispatched or running.
    index("work_agent_state_idx").on(t.agentId, t.state),
    index("work_state_created_idx").on(t.state, t.createdAt),
    // What changed since a moment ago: the live page's event batches read this.
    index("work_updated_idx").on(t.updatedAt),
    // The queue in placement order.
    index("work_queue_idx").on(t.priority.desc(), t.submitOrder).where(sql`${t.state} = 'queued'`),
    check(
      "work_state_check",
      sql`${t.state} in ('queued', 'pending', 'dispatched', 'running', 'succeeded', 'failed', 'timed_out', 'rejected', 'lost', 'cancelled', 'expired')`
    )
  ]
);

/**
 * Alerts (issue #17): one row per alert an agent's liveness raised. `open`
 * until its recovery closes it; `asleep`: it happened inside the agent's quiet
 * window (no message; it opens if the agent is still away when the window
 * ends); `superseded`: closed without a message by a `flapping` alert that
 * stands for it. At most one open alert per agent and kind.
 */
export const alerts = pgTable(
  "alerts",
  {
    alertId: bigserial("alert_id", { mode: "number" }).primaryKey(),
    agentId: text("agent_id").notNull(),
    kind: text("kind").notNull(),
    state: text("state").notNull(),
    openedAt: timestamptz("opened_at").notNull(),
    closedAt: timestamptz("closed_at"),
    summary: text("summary").notNull(),
    detail: text("detail").notNull().default(""),
    /** What, besides the agent, the alert is about: a job's work_id, a GPU's uuid; '' for the agent itself. */
    subject: text("subject").notNull().default("")
  },
  (t) => [
    uniqueIndex("alerts_one_open_subject_idx").on(t.agentId, t.kind, t.subject).where(sql`${t.state} = 'open'`),
    index("alerts_kind_subject_idx").on(t.kind, t.subject),
    index("alerts_agent_state_idx").on(t.agentId, t.state),
    check("alerts_state_check", sql`${t.state} in ('open', 'closed', 'asleep', 'superseded')`)
  ]
);

/** The transactional outbox: each message an alert sends (its opening, its recovery), written with the alert. */
export const alertMessages = pgTable("alert_messages", {
  messageId: bigserial("message_id", { mode: "number" }).primaryKey(),
  alertId: bigint("alert_id", { mode: "number" })
    .notNull()
    .references(() => alerts.alertId, { onDelete: "cascade" }),
  event: text("event").notNull(),
  /** The AlertMessage the channels send. */
  body: jsonb("body").notNull(),
  createdAt: timestamptz("created_at").notNull().defaultNow()
});

/** One row per message and channel: delivered by whichever orchestrator claims it (FOR UPDATE SKIP LOCKED), retried with backoff. */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    messageId: bigint("message_id", { mode: "number" })
      .notNull()
      .references(() => alertMessages.messageId, { onDelete: "cascade" }),
    channel: text("channel").notNull(),
    state: text("state").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamptz("next_attempt_at").notNull().defaultNow(),
    lastStatus: text("last_status"),
    lastDetail: text("last_detail"),
    sentAt: timestamptz("sent_at")
  },
  (t) => [
    primaryKey({ columns: [t.messageId, t.channel] }),
    index("alert_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    check("alert_deliveries_state_check", sql`${t.state} in ('pending', 'sent', 'failed')`)
  ]
);

/** How far the alert evaluator has read agent_status_transitions (one row; locked while it works, so one orchestrator evaluates). */
export const alertCursor = pgTable(
  "alert_cursor",
  {
    id: integer("id").primaryKey(),
    lastTransitionId: bigint("last_transition_id", { mode: "number" }).notNull(),
    lastEventId: bigint("last_event_id", { mode: "number" }).notNull().default(0)
  },
  (t) => [check("alert_cursor_one_row", sql`${t.id} = 1`)]
);

/**
 * Events other than liveness that may alert, written by triggers in the
 * transaction that causes them (a job ending failed, lost or timed_out),
 * read by the alert evaluator in id order after `alert_cursor.last_event_id`.
 */
export const alertEvents = pgTable("alert_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  kind: text("kind").notNull(),
  agentId: text("agent_id"),
  subject: text("subject").notNull().default(""),
  data: jsonb("data").notNull(),
  at: timestamptz("at").notNull().defaultNow()
});

/** Per agent, the GPUs its current boot has reported, and since when its GPU collection has been failing (null: it is not). */
export const alertGpus = pgTable("alert_gpus", {
  agentId: text("agent_id").primaryKey(),
  bootId: text("boot_id").notNull(),
  uuids: jsonb("uuids").notNull(),
  errorsSince: timestamptz("errors_since")
});
