import { Effect, Fiber, Option, Ref, Scope } from "effect";
import {
  makeEnvelope,
  type AgentId,
  type AgentStatus,
  type GpuInventory,
  type Message,
  type ResourceMetrics,
  type WorkRequirements
} from "@homelab/protocol";
import { MetricsCollector } from "@homelab/metrics";
import { stamp } from "./Outbox.ts";

export interface AgentIdentity {
  readonly agent_id: AgentId;
  readonly agent_type: string;
  readonly pool_name: string;
  /** New each time the process starts (SPEC §2). */
  readonly boot_id: string;
  /** When this boot started, by this machine's clock (boot order: a later boot wins). */
  readonly boot_started_at: string;
  readonly capabilities: ReadonlyArray<string>;
}

export interface HeartbeatSource {
  /** The next StatusUpdate message, seq + 1 each call. */
  readonly next: Effect.Effect<Message>;
  /** The last metrics collected (undefined before the first collection). */
  readonly latest: Effect.Effect<ResourceMetrics | undefined>;
  /** The next StatusUpdate at once, with the last metrics collected (none before the first collection): for a change of status. */
  readonly nextNow: Effect.Effect<Message | undefined>;
}

/**
 * Builds heartbeats. Metrics never delay one by more than `metricsBudgetMs`:
 * a collection still running past it leaves the heartbeat with the last
 * values (named in `collection_errors`) and finishes in the background for
 * the next one. Only the very first heartbeat waits for a first collection
 * (itself bounded by the collector's 5 s per-source timeouts).
 */
export const makeHeartbeatSource = (options: {
  readonly identity: AgentIdentity;
  readonly metricsBudgetMs: number;
  readonly status: Effect.Effect<AgentStatus>;
  readonly currentWork: Effect.Effect<ReadonlyArray<string>>;
  /** What the router may count on: slots, and what each kind requires (sent when given). */
  readonly advertised?: {
    readonly max_concurrent_work: number;
    readonly task_requires: Readonly<Record<string, WorkRequirements>>;
  };
  /** A GPU inventory not yet sent: it rides in the next heartbeat (the caller clears it once that one is published). */
  readonly inventory?: Effect.Effect<GpuInventory | undefined>;
}): Effect.Effect<HeartbeatSource, never, MetricsCollector | Scope.Scope> =>
  Effect.gen(function* () {
    const collector = yield* MetricsCollector;
    const scope = yield* Scope.Scope;
    const seq = yield* Ref.make(0);
    const latest = yield* Ref.make<ResourceMetrics | undefined>(undefined);
    const inFlight = yield* Ref.make<Fiber.Fiber<ResourceMetrics> | undefined>(undefined);

    const collection = Effect.gen(function* () {
      const running = yield* Ref.get(inFlight);
      if (running !== undefined) return running;
      const fiber = yield* collector.collect.pipe(
        Effect.tap((m) => Ref.set(latest, m)),
        Effect.ensuring(Ref.set(inFlight, undefined)),
        Effect.forkIn(scope)
      );
      yield* Ref.set(inFlight, fiber);
      return fiber;
    });

    const metrics = Effect.gen(function* () {
      const fiber = yield* collection;
      const last = yield* Ref.get(latest);
      if (last === undefined) return yield* Fiber.join(fiber);
      const fresh = yield* Fiber.join(fiber).pipe(Effect.timeoutOption(options.metricsBudgetMs));
      if (Option.isSome(fresh)) return fresh.value;
      return {
        ...last,
        collection_errors: [
          ...last.collection_errors,
          {
            source: "metrics",
            message: `collection still running after ${options.metricsBudgetMs} ms; values from ${last.collected_at}`
          }
        ]
      } satisfies ResourceMetrics;
    });

    const build = (resources: ResourceMetrics) => Effect.gen(function* () {
      const n = yield* Ref.getAndUpdate(seq, (s) => s + 1);
      const inventory = options.inventory === undefined ? undefined : yield* options.inventory;
      const message: Message = makeEnvelope({
        ...(yield* stamp),
        type: "work_status",
        sender: options.identity.agent_id,
        payload: {
          agent_id: options.identity.agent_id,
          agent_type: options.identity.agent_type,
          pool_name: options.identity.pool_name,
          status: yield* options.status,
          boot_id: options.identity.boot_id,
          boot_started_at: options.identity.boot_started_at,
          seq: n,
          capabilities: options.identity.capabilities,
          resources,
          current_work: yield* options.currentWork,
          ...(options.advertised === undefined
            ? {}
            : { max_concurrent_work: options.advertised.max_concurrent_work, task_requires: options.advertised.task_requires }),
          ...(inventory === undefined ? {} : { gpu_inventory: inventory })
        }
      });
      return message;
    });
    const next = Effect.flatMap(metrics, build);
    const nextNow = Effect.flatMap(Ref.get(latest), (last) => (last === undefined ? Effect.succeed(undefined) : build(last)));
    return { next: Effect.withSpan(next, "Heartbeat.next"), latest: Ref.get(latest), nextNow };
  });
