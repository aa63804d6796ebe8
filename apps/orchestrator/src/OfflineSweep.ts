import { Clock, Effect, Option, Ref } from "effect";
import { AgentRegistry, type OfflineTransition } from "@homelab/registry";
import { sweepSchedule } from "./schedules.ts";

export interface SweepOptions {
  readonly heartbeatTimeoutSeconds: number;
  readonly sweepIntervalSeconds: number;
  readonly wentOffline: (transitions: ReadonlyArray<OfflineTransition>) => Effect.Effect<void>;
  /**
   * Since when the orchestrator has been able to hear heartbeats (Readiness);
   * None while the broker or the database is down.
   */
  readonly listeningSince: Effect.Effect<Option.Option<number>>;
}

export type SweepOutcome =
  | { readonly _tag: "NotLeader" }
  | { readonly _tag: "Deaf" }
  | { readonly _tag: "Grace"; readonly secondsLeft: number }
  | { readonly _tag: "Held"; readonly stale: ReadonlyArray<string> }
  | { readonly _tag: "Marked"; readonly transitions: ReadonlyArray<OfflineTransition> };

/**
 * One sweep step, SPEC §5:
 * - during the first timeout after this orchestrator started, nobody is
 *   marked offline (heartbeats sent while it was down were never received);
 *   the same after its broker or database comes back: while either is down
 *   it cannot hear (or record) heartbeats, so silence then proves nothing,
 *   and nobody is marked offline until one full timeout after both are up;
 * - agents silent for longer than the timeout (database clock) go offline,
 *   each transition logged and recorded;
 * - if that would be more than half of the online fleet, it is held with a
 *   warning and done only when the next sweep finds them still silent
 *   (the orchestrator's own stall must not read as a fleet outage);
 * - only the orchestrator holding the advisory lock sweeps.
 */
export const makeSweep = (options: SweepOptions) =>
  Effect.gen(function* () {
    const registry = yield* AgentRegistry;
    const startedAt = yield* Clock.currentTimeMillis;
    const held = yield* Ref.make<ReadonlySet<string>>(new Set());
    const timeoutMs = options.heartbeatTimeoutSeconds * 1000;

    const step = Effect.gen(function* (): Effect.fn.Return<SweepOutcome, import("@homelab/registry").RegistryError> {
      const now = yield* Clock.currentTimeMillis;
      const listening = yield* options.listeningSince;
      if (Option.isNone(listening)) return { _tag: "Deaf" };
      const graceFrom = Math.max(startedAt, listening.value);
      if (now - graceFrom < timeoutMs) return { _tag: "Grace", secondsLeft: (timeoutMs - (now - graceFrom)) / 1000 };
      const stale = yield* registry.findStale(options.heartbeatTimeoutSeconds);
      if (stale.length === 0) {
        yield* Ref.set(held, new Set());
        return { _tag: "Marked", transitions: [] };
      }
      const online = yield* registry.countOnline;
      const previouslyHeld = yield* Ref.get(held);
      if (stale.length * 2 > online && !stale.every((id) => previouslyHeld.has(id))) {
        yield* Ref.set(held, new Set(stale));
        yield* Effect.logWarning(
          `offline sweep: ${stale.length} of ${online} online agents are silent for over ${options.heartbeatTimeoutSeconds} s; holding until the next sweep confirms it`
        );
        return { _tag: "Held", stale };
      }
      yield* Ref.set(held, new Set());
      const transitions = yield* registry.markOffline(stale, `no heartbeat for over ${options.heartbeatTimeoutSeconds} s`, {
        silentForSeconds: options.heartbeatTimeoutSeconds
      });
      for (const t of transitions) yield* Effect.logInfo(`agent ${t.agent_id}: ${t.from ?? "new"} -> ${t.to} (${t.reason})`);
      yield* options.wentOffline(transitions);
      return { _tag: "Marked", transitions };
    });

    const once = registry
      .withSweepLock(step)
      .pipe(Effect.map((o): SweepOutcome => (Option.isSome(o) ? o.value : { _tag: "NotLeader" })));

    /** Sweeps forever on the schedule; a failed sweep is logged and the next one tries again. */
    const run = once.pipe(
      Effect.catch((e) => Effect.logWarning(`offline sweep failed: ${e.message}`)),
      Effect.repeat(sweepSchedule(options.sweepIntervalSeconds)),
      Effect.asVoid
    );
    return { once, run };
  });
