/**
 * The orchestrator process (`nx run orchestrator:serve`): registry (PostgreSQL
 * via DATABASE_URL, else embedded PGlite in DATA_DIR), heartbeat ingest from
 * the reply queue, the offline sweep, and the HTTP API.
 * Exit codes: 0 after SIGTERM/SIGINT, 78 invalid configuration, 1 otherwise.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { NodeRuntime } from "@effect/platform-node";
import { Cause, Effect, Exit, Layer, Logger, Option, References, Runtime, Schedule } from "effect";
import { AgentRegistry, type OfflineTransition, pgliteDatabase, postgresDatabase, registryLayer, WorkRegistry } from "@homelab/registry";
import { Amqp } from "./Amqp.ts";
import { ApiToken } from "./http/auth.ts";
import { boundPort, httpLayer } from "./http/index.ts";
import { makeIngest } from "./Ingest.ts";
import { makeSweep } from "./OfflineSweep.ts";
import { loadOrchestratorConfig, type OrchestratorSettings } from "./OrchestratorConfig.ts";
import { OrchestratorMetrics } from "./OrchestratorMetrics.ts";
import { Readiness } from "./Readiness.ts";
import { consumeReplies } from "./ReplyConsumer.ts";
import { sweepSchedule } from "./schedules.ts";
import { Dispatcher } from "./work/Dispatcher.ts";

const LOG_LEVELS = { trace: "Trace", debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const;

/** Ingest batches: up to this many heartbeats, or this long after the first. */
const MAX_BATCH = 500;
const BATCH_LINGER_MS = 20;
/** Heartbeat batches written at once, and how many messages the consumer holds unacked. */
const WRITE_CONCURRENCY = 2;
const PREFETCH = 3 * MAX_BATCH;

const run = (settings: OrchestratorSettings) =>
  Effect.gen(function* () {
    const metrics = yield* OrchestratorMetrics;
    const readiness = yield* Readiness;
    const registry = yield* AgentRegistry;
    const work = yield* WorkRegistry;
    const { connection } = yield* Amqp;
    yield* readiness.set("database", true, "migrations applied");

    const logLost = (transitions: ReadonlyArray<OfflineTransition>) =>
      Effect.forEach(
        transitions.filter((t) => t.lost_work.length > 0),
        (t) =>
          Effect.logWarning(`agent ${t.agent_id} went offline (${t.reason}); work lost: ${t.lost_work.join(", ")}`).pipe(
            Effect.andThen(metrics.workFinished("lost", t.lost_work.length))
          ),
        { discard: true }
      );
    const wentOffline = (transitions: ReadonlyArray<OfflineTransition>) =>
      metrics.offline(transitions.length).pipe(Effect.andThen(logLost(transitions)));

    const ingest = yield* makeIngest({
      maxBatch: MAX_BATCH,
      lingerMs: BATCH_LINGER_MS,
      writeConcurrency: WRITE_CONCURRENCY,
      hooks: {
        databaseUp: (up, detail) => readiness.set("database", up, detail).pipe(Effect.andThen(readiness.setWritesFlowing(up))),
        batchCommitted: (size, applied, ignored, oldestReceivedAt, committedAt) =>
          metrics
            .recordBatch(size, (committedAt - oldestReceivedAt) / 1000)
            .pipe(Effect.andThen(metrics.applied(applied, ignored))),
        wentOffline,
        workFinished: (state) => metrics.workFinished(state)
      }
    });
    const consumer = yield* consumeReplies(
      {
        connection,
        replyQueue: settings.reply_queue,
        prefetch: PREFETCH,
        onConnectionChange: (up, detail) =>
          readiness.set("broker", up, detail).pipe(
            Effect.andThen(up ? Effect.logInfo(`broker: ${detail}`) : Effect.logWarning(`broker connection lost: ${detail}`))
          ),
        onRejected: (reason, detail) =>
          metrics.rejected(reason).pipe(Effect.andThen(Effect.logWarning(`dead-lettered a message (${reason}): ${detail}`)))
      },
      ingest.handle
    );
    const sweep = yield* makeSweep({
      heartbeatTimeoutSeconds: settings.heartbeat_timeout_seconds,
      sweepIntervalSeconds: settings.offline_sweep_interval_seconds,
      wentOffline,
      listeningSince: readiness.readySince
    });
    yield* Effect.forkScoped(sweep.run);
    // Work with no result by its timeout plus the grace is timed out (SPEC §5).
    yield* Effect.forkScoped(
      work.timeOut(settings.work_result_grace_seconds).pipe(
        Effect.tap((ids) =>
          ids.length === 0
            ? Effect.void
            : Effect.logWarning(`work timed out with no result: ${ids.join(", ")}`).pipe(
                Effect.andThen(metrics.workFinished("timed_out", ids.length))
              )
        ),
        Effect.catch((e) => Effect.logWarning(`work timeout sweep failed: ${e.message}`)),
        Effect.repeat(sweepSchedule(settings.offline_sweep_interval_seconds))
      )
    );
    // The database can go away while no heartbeat arrives: /readyz must say so.
    yield* Effect.forkScoped(
      registry.ping.pipe(
        Effect.matchEffect({
          onFailure: (e) => readiness.set("database", false, e.message),
          onSuccess: () => readiness.set("database", true, "ok")
        }),
        Effect.repeat(Schedule.spaced("5 seconds"))
      )
    );
    const port = yield* boundPort;
    yield* Effect.logInfo(
      `orchestrator listening on http://${settings.http_host}:${port}; registry: ${
        Option.isSome(settings.database_url) ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${settings.data_dir}`
      }; reply queue ${settings.reply_queue}; POST /work ${Option.isSome(settings.api_token) ? "needs the API_TOKEN bearer token" : "is open (no API_TOKEN)"}`
    );
    yield* consumer.ready.pipe(Effect.andThen(Effect.logInfo("consuming the reply queue")), Effect.forkScoped);
    return yield* Effect.never;
  });

const program = Effect.gen(function* () {
  const settings = yield* loadOrchestratorConfig({
    argv: process.argv.slice(2),
    env: process.env,
    readFile: (path) => Effect.tryPromise(() => readFile(path, "utf8"))
  });
  // The build copies the migrations beside the bundle; from source the registry finds its own.
  const besideBundle = fileURLToPath(new URL("./migrations", import.meta.url));
  const migrations = existsSync(besideBundle) ? { migrationsFolder: besideBundle } : {};
  const database = Option.match(settings.database_url, {
    onNone: () => pgliteDatabase(settings.data_dir, migrations),
    onSome: (url) => postgresDatabase(url, migrations)
  });
  const registry = registryLayer(database);
  const broker = Dispatcher.layer.pipe(Layer.provideMerge(Amqp.layer(settings.amqp_url)));
  const services = Layer.mergeAll(OrchestratorMetrics.layer, Readiness.layer, broker, ApiToken.layer(settings.api_token)).pipe(
    Layer.provideMerge(registry)
  );
  const app = httpLayer({ host: settings.http_host, port: settings.http_port }).pipe(Layer.provideMerge(services));
  return yield* run(settings).pipe(
    Effect.scoped,
    Effect.provide(app),
    Effect.provideService(References.MinimumLogLevel, LOG_LEVELS[settings.log_level])
  );
}).pipe(Effect.tapError((e) => Effect.sync(() => console.error(e.message))));

/** A signal is the normal way to stop: exit 0. */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit);

NodeRuntime.runMain(program.pipe(Effect.provideService(Logger.LogToStderr, true)), { teardown, disableErrorReporting: true });
