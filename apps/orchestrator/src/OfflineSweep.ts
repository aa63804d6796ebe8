import { Clock, Duration, Effect, Option, Ref } from "effect";
import { AgentRegistry, type OfflineTransition, type RegistryError } from "@homelab/registry";
import { offlineDeadlineMargin } from "./schedules.ts";

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
 * The offline sweep, SPEC §5. One step:
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
 *
 * `run` takes that step at each agent's deadline rather than only on the
 * sweep interval: after each step it asks the registry how long until the
 * earliest online agent's last heartbeat is one timeout old (database clock)
 * and sleeps until then plus `offlineDeadlineMargin`, or the sweep interval
 * (the backstop) if that comes first; then it steps and asks again. A
 * heartbeat only moves a deadline later, so a wake it made early finds
 * nobody due and re-arms at the new earliest one. Nobody who comes online
 * while it sleeps falls due sooner than one timeout later, so it never
 * sleeps longer than that either. During the grace it sleeps until the
 * grace ends; while deaf, the interval (or timeout); after a hold, one full
 * interval, so the confirming check comes as late as before (heartbeats
 * queued during a stall of its own have time to land).
 */
export const makeSweep = (options: SweepOptions) =>
  Effect.gen(function* () {
    const registry = yield* AgentRegistry;
    const startedAt = yield* Clock.currentTimeMillis;
    const held = yield* Ref.make<ReadonlySet<string>>(new Set());
    const timeoutMs = options.heartbeatTimeoutSeconds * 1000;

    const step = Effect.gen(function* (): Effect.fn.Return<SweepOutcome, RegistryError> {
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

    const intervalMs = options.sweepIntervalSeconds * 1000;
    /** The longest sleep between steps: the interval, or the timeout if shorter (no deadline can come sooner than one timeout after the read). */
    const longestWaitMs = Math.min(intervalMs, timeoutMs);
    const marginMs = Duration.toMillis(offlineDeadlineMargin);

    /** Until the next deadline plus the margin, within [margin, longestWaitMs]; one read of the database. */
    const untilNextDeadline = registry.nextOfflineDeadline(options.heartbeatTimeoutSeconds).pipe(
      Effect.map(
        Option.match({
          onNone: () => longestWaitMs,
          onSome: (seconds) => Math.min(longestWaitMs, Math.max(marginMs, Math.ceil(seconds * 1000) + marginMs))
        })
      ),
      Effect.catch((e: RegistryError) =>
        Effect.as(Effect.logWarning(`offline sweep: reading the next deadline failed: ${e.message}`), longestWaitMs)
      )
    );

    /** How long to sleep after a step that ended so (None: it failed). */
    const waitAfter = (outcome: Option.Option<SweepOutcome>): Effect.Effect<number> => {
      if (Option.isNone(outcome)) return Effect.succeed(longestWaitMs);
      switch (outcome.value._tag) {
        case "Deaf":
          return Effect.succeed(longestWaitMs);
        case "Grace":
          return Effect.succeed(Math.ceil(outcome.value.secondsLeft * 1000));
        case "Held":
          return Effect.succeed(intervalMs);
        case "NotLeader":
        case "Marked":
          return untilNextDeadline;
      }
    };

    /** When `run` next steps (this orchestrator's clock, epoch ms); None while it steps, and before it starts. */
    const nextCheck = yield* Ref.make<Option.Option<number>>(Option.none());

    /** Steps at each deadline, and at least every interval, forever; a failed step is logged and the next one tries again. */
    const run = Effect.gen(function* () {
      const outcome = yield* once.pipe(
        Effect.map(Option.some),
        Effect.catch((e) => Effect.as(Effect.logWarning(`offline sweep failed: ${e.message}`), Option.none<SweepOutcome>()))
      );
      const waitMs = yield* waitAfter(outcome);
      const at = (yield* Clock.currentTimeMillis) + waitMs;
      yield* Ref.set(nextCheck, Option.some(at));
      yield* Effect.logDebug(`offline sweep: next check in ${(waitMs / 1000).toFixed(3)} s`);
      // Until `at` by the clock as it is now (a test's clock may have moved meanwhile).
      yield* Effect.sleep(Duration.millis(Math.max(0, at - (yield* Clock.currentTimeMillis))));
      yield* Ref.set(nextCheck, Option.none());
    }).pipe(Effect.forever);

    return { once, run, nextCheck: Ref.get(nextCheck) };
  });
