import { Context, Effect, Layer } from "effect";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { REJECT_REASONS, type RejectReason } from "@homelab/protocol";
import { AgentRegistry, type Liveness, WorkRegistry } from "@homelab/registry";
import { type FleetSnapshot, renderFleet } from "./FleetMetrics.ts";

/** How a `POST /work` ended. */
export type SubmitOutcome = "dispatched" | "queued" | "no_fit" | "unavailable";
const SUBMIT_OUTCOMES: ReadonlyArray<SubmitOutcome> = ["dispatched", "queued", "no_fit", "unavailable"];
const FINAL_STATES = ["succeeded", "failed", "timed_out", "rejected", "lost", "cancelled", "expired"] as const;
export type FinalState = (typeof FINAL_STATES)[number];

/** The Prometheus text exposition format that `render` produces. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const LIVENESS: ReadonlyArray<Liveness> = ["online", "offline"];

export interface OrchestratorMetricsShape {
  /** Heartbeats written (`applied`) and skipped as stale (`ignored`) by one registry write. */
  readonly applied: (applied: number, ignored: number) => Effect.Effect<void>;
  /** One message dead-lettered for `reason`. */
  readonly rejected: (reason: RejectReason) => Effect.Effect<void>;
  /** One committed ingest batch: its size and the seconds from receipt of its first message to commit. */
  readonly recordBatch: (size: number, latencySeconds: number) => Effect.Effect<void>;
  /** `n` agents went offline (sweep or agent_shutdown). */
  readonly offline: (n: number) => Effect.Effect<void>;
  /** An agent_shutdown from another boot than the registered one was ignored. */
  readonly shutdownIgnored: Effect.Effect<void>;
  /** One `POST /work` answered. */
  readonly workSubmitted: (outcome: SubmitOutcome) => Effect.Effect<void>;
  /** Seconds one routing decision (choose and book, under the routing lock) took. */
  readonly routed: (seconds: number) => Effect.Effect<void>;
  /** `n` work items ended in `state` (a result, or lost / timed_out). */
  readonly workFinished: (state: FinalState, n?: number) => Effect.Effect<void>;
  /** One alert message delivered to `channel` (its configured name), or one attempt that failed there. */
  readonly alertDelivered: (channel: string, ok: boolean) => Effect.Effect<void>;
  /**
   * Every metric in the Prometheus text format. The `homelab_agents{status}` gauge is
   * counted from the registry at this moment; when the registry cannot
   * answer, the gauge is left out of this scrape rather than showing stale
   * figures.
   */
  readonly render: Effect.Effect<string>;
}

export class OrchestratorMetrics extends Context.Service<OrchestratorMetrics, OrchestratorMetricsShape>()(
  "@homelab/orchestrator/OrchestratorMetrics"
) {
  /**
   * One prom-client Registry per layer (never the process-wide default one),
   * so tests and several instances in one process never share counters.
   */
  static readonly layer: Layer.Layer<OrchestratorMetrics, never, AgentRegistry | WorkRegistry> = Layer.effect(
    OrchestratorMetrics,
    Effect.gen(function* () {
      const agentRegistry = yield* AgentRegistry;
      const workRegistry = yield* WorkRegistry;
      return makeMetrics(
        Effect.all([agentRegistry.fleet, workRegistry.bookings]).pipe(
          Effect.map(([agents, bookings]) => ({
            agents,
            bookedVram: new Map(bookings.vram.map((b) => [`${b.agent_id}/${b.gpu_index}`, b.vram_gb])),
            queued: bookings.queued
          }))
        )
      );
    })
  );
}

/**
 * Counting a full listing is fine at homelab scale (tens of agents); a fleet
 * of thousands would want a `count ... group by status` in the registry.
 */
const countByLiveness = (agents: ReadonlyArray<{ readonly status: Liveness }>): Record<Liveness, number> => {
  const counts: Record<Liveness, number> = { online: 0, offline: 0 };
  for (const agent of agents) counts[agent.status] += 1;
  return counts;
};

/**
 * The process metrics of prom-client that promtool 2.42 accepts: three of its
 * defaults are gauges named `*_total`, which promtool refuses.
 */
const PROMTOOL_REFUSED = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** Builds the metrics over a fresh Registry; `snapshot` is read once per scrape. */
export const makeMetrics = <E>(snapshot: Effect.Effect<FleetSnapshot, E>): OrchestratorMetricsShape => {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  for (const name of PROMTOOL_REFUSED) registry.removeSingleMetric(name);

  const heartbeatsApplied = new Counter({
    name: "homelab_heartbeats_applied_total",
    help: "Heartbeats written to the registry",
    registers
  });
  const heartbeatsIgnored = new Counter({
    name: "homelab_heartbeats_ignored_total",
    help: "Heartbeats not applied because the registry already held a newer one (same boot_id, seq not greater)",
    registers
  });
  const messagesRejected = new Counter({
    name: "homelab_messages_rejected_total",
    help: "Messages dead-lettered from the reply queue, by reason",
    labelNames: ["reason"] as const,
    registers
  });
  for (const reason of REJECT_REASONS) messagesRejected.inc({ reason }, 0);
  const batchSize = new Histogram({
    name: "homelab_ingest_batch_size",
    help: "Heartbeats per registry write",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers
  });
  const commitSeconds = new Histogram({
    name: "homelab_ingest_commit_seconds",
    help: "Seconds from receiving a heartbeat to committing it",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers
  });
  const offlineTransitions = new Counter({
    name: "homelab_offline_transitions_total",
    help: "Agents marked offline (heartbeat timeout or agent_shutdown)",
    registers
  });
  const alertsSent = new Counter({
    name: "homelab_alerts_sent_total",
    help: "Alert messages delivered, by channel (its configured name)",
    labelNames: ["channel"] as const,
    registers
  });
  const alertsFailed = new Counter({
    name: "homelab_alerts_failed_total",
    help: "Alert delivery attempts that failed, by channel (each is retried with backoff until it gives up)",
    labelNames: ["channel"] as const,
    registers
  });
  const shutdownsIgnored = new Counter({
    name: "homelab_shutdowns_ignored_total",
    help: "agent_shutdown messages ignored: from another boot than the one the registry holds",
    registers
  });
  const workSubmitted = new Counter({
    name: "homelab_work_submitted_total",
    help: "POST /work requests by outcome (dispatched, queued, no_fit = 409, unavailable = 503)",
    labelNames: ["outcome"] as const,
    registers
  });
  for (const outcome of SUBMIT_OUTCOMES) workSubmitted.inc({ outcome }, 0);
  const routeSeconds = new Histogram({
    name: "homelab_work_route_seconds",
    help: "Seconds to choose and book an agent for one job",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers
  });
  const workFinished = new Counter({
    name: "homelab_work_finished_total",
    help: "Work that ended, by final state",
    labelNames: ["state"] as const,
    registers
  });
  for (const state of FINAL_STATES) workFinished.inc({ state }, 0);
  const agents = new Gauge({
    name: "homelab_agents",
    help: "Registered agents by liveness, counted from the registry at scrape time",
    labelNames: ["status"] as const,
    registers
  });

  // The fleet's series for this scrape, or "" (left out, never stale) when the registry cannot answer.
  const refreshAgents = snapshot.pipe(
    Effect.map((s) => {
      const counts = countByLiveness(s.agents);
      for (const status of LIVENESS) agents.set({ status }, counts[status]);
      return renderFleet(s);
    }),
    Effect.catch((error) =>
      Effect.sync(() => agents.reset()).pipe(
        Effect.andThen(Effect.logWarning("metrics: could not read the registry for this scrape", error)),
        Effect.as("")
      )
    )
  );

  return {
    applied: Effect.fn("OrchestratorMetrics.applied")(function* (applied: number, ignored: number) {
      if (applied > 0) heartbeatsApplied.inc(applied);
      if (ignored > 0) heartbeatsIgnored.inc(ignored);
    }),
    rejected: Effect.fn("OrchestratorMetrics.rejected")(function* (reason: RejectReason) {
      messagesRejected.inc({ reason });
    }),
    recordBatch: Effect.fn("OrchestratorMetrics.recordBatch")(function* (size: number, latencySeconds: number) {
      batchSize.observe(size);
      commitSeconds.observe(latencySeconds);
    }),
    offline: Effect.fn("OrchestratorMetrics.offline")(function* (n: number) {
      if (n > 0) offlineTransitions.inc(n);
    }),
    shutdownIgnored: Effect.sync(() => shutdownsIgnored.inc()),
    workSubmitted: (outcome) => Effect.sync(() => workSubmitted.inc({ outcome })),
    routed: (seconds) => Effect.sync(() => routeSeconds.observe(seconds)),
    workFinished: (state, n = 1) => Effect.sync(() => void (n > 0 && workFinished.inc({ state }, n))),
    alertDelivered: (channel, ok) => Effect.sync(() => (ok ? alertsSent : alertsFailed).inc({ channel })),
    render: refreshAgents.pipe(
      Effect.flatMap((fleetText) => Effect.promise(async () => `${await registry.metrics()}\n${fleetText}`)),
      Effect.withSpan("OrchestratorMetrics.render")
    )
  };
};
