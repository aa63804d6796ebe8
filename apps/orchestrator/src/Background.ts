import { Effect, Layer } from "effect";
import { AgentRegistry, DatabaseStart, WorkRegistry } from "@homelab/registry";
import { makeSweep } from "./OfflineSweep.ts";
import { reportOffline } from "./OfflineEvents.ts";
import { OrchestratorMetrics } from "./OrchestratorMetrics.ts";
import { Readiness } from "./Readiness.ts";
import { databasePingSchedule, historyPruneSchedule, workTimeoutSchedule } from "./schedules.ts";
import { Dispatcher } from "./work/Dispatcher.ts";
import { Placer } from "./work/Placer.ts";

// The orchestrator's loops, each a layer that runs for the life of its scope.

/**
 * Runs `loop` once the database has started (connected and migrated); not
 * at all when its start-up gave up (the process is stopping then). Before
 * that every registry call fails at once, which a loop would log as its own
 * failure at each start of the orchestrator.
 */
const onceDatabaseStarted = <E, R>(loop: Effect.Effect<unknown, E, R>) =>
  DatabaseStart.use((start) => start.started).pipe(Effect.andThen(loop), Effect.ignore);

/** The offline sweep (SPEC §5), with the grace Readiness gives after an outage. */
export const offlineSweepLayer = (options: { readonly heartbeatTimeoutSeconds: number; readonly sweepIntervalSeconds: number }) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const readiness = yield* Readiness;
      const metrics = yield* OrchestratorMetrics;
      const dispatcher = yield* Dispatcher;
      const sweep = yield* makeSweep({
        ...options,
        wentOffline: (transitions) => reportOffline(transitions, dispatcher).pipe(Effect.provideService(OrchestratorMetrics, metrics)),
        listeningSince: readiness.readySince
      });
      yield* Effect.forkScoped(onceDatabaseStarted(sweep.run));
    })
  );

/** Work with no result by its timeout plus the grace is timed out (SPEC §5), checked on the sweep's interval. */
export const workTimeoutLayer = (options: { readonly graceSeconds: number; readonly intervalSeconds: number }) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const work = yield* WorkRegistry;
      const metrics = yield* OrchestratorMetrics;
      yield* Effect.forkScoped(
        onceDatabaseStarted(work.timeOut(options.graceSeconds).pipe(
          Effect.tap((ids) =>
            ids.length === 0
              ? Effect.void
              : Effect.logWarning(`work timed out with no result: ${ids.join(", ")}`).pipe(
                  Effect.andThen(metrics.workFinished("timed_out", ids.length))
                )
          ),
          Effect.catch((e) => Effect.logWarning(`work timeout sweep failed: ${e.message}`)),
          Effect.repeat(workTimeoutSchedule(options.intervalSeconds))
        ))
      );
    })
  );

/**
 * The queue's clock, on the sweep's interval: queued jobs past their
 * max_wait_seconds end `expired`, and a placement pass over every agent
 * catches room no event announced (an agent resumed by another
 * orchestrator, a job ended there).
 */
export const queueUpkeepLayer = (options: { readonly intervalSeconds: number }) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const work = yield* WorkRegistry;
      const metrics = yield* OrchestratorMetrics;
      const placer = yield* Placer;
      yield* Effect.forkScoped(
        onceDatabaseStarted(work.expire.pipe(
          Effect.tap((ids) =>
            ids.length === 0
              ? Effect.void
              : Effect.logInfo(`queued work expired (max_wait_seconds passed): ${ids.join(", ")}`).pipe(
                  Effect.andThen(metrics.workFinished("expired", ids.length))
                )
          ),
          Effect.andThen(placer.kick("anywhere")),
          Effect.catch((e) => Effect.logWarning(`queue upkeep failed: ${e.message}`)),
          Effect.repeat(workTimeoutSchedule(options.intervalSeconds))
        ))
      );
    })
  );

/**
 * The database is up once its start-up (connect and migrate, in the
 * background) is done; from then on a ping on `databasePingSchedule` keeps
 * /readyz true while no heartbeat arrives to say so. Until then /readyz is
 * 503 naming the database.
 */
export const databaseProbeLayer = Layer.effectDiscard(
  Effect.gen(function* () {
    const readiness = yield* Readiness;
    const registry = yield* AgentRegistry;
    const start = yield* DatabaseStart;
    yield* readiness.set("database", false, "connecting at start-up");
    yield* Effect.forkScoped(start.started.pipe(Effect.andThen(readiness.set("database", true, "migrations applied")), Effect.ignore));
    yield* Effect.forkScoped(
      registry.ping.pipe(
        Effect.matchEffect({
          onFailure: (e) => readiness.set("database", false, e.message),
          onSuccess: () => readiness.set("database", true, "ok")
        }),
        Effect.repeat(databasePingSchedule)
      )
    );
  })
);

/**
 * History retention: samples older than HISTORY_RETENTION_DAYS are deleted
 * once the database is up and then every hour (idempotent: several
 * orchestrators may all run it). Nothing runs when history is off (0 days).
 */
export const historyRetentionLayer = (retentionDays: number) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      if (retentionDays <= 0) return;
      const registry = yield* AgentRegistry;
      const start = yield* DatabaseStart;
      yield* Effect.forkScoped(
        start.started.pipe(
          Effect.andThen(
            registry.pruneHistory(retentionDays).pipe(
              Effect.tap((n) => (n === 0 ? Effect.void : Effect.logInfo(`history: ${n} samples older than ${retentionDays} days deleted`))),
              Effect.catch((e) => Effect.logWarning(`history retention failed: ${e.message}`)),
              Effect.repeat(historyPruneSchedule)
            )
          ),
          Effect.ignore
        )
      );
    })
  );
