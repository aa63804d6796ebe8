/**
 * The orchestrator process (`nx run orchestrator:serve`): registry (PostgreSQL
 * via DATABASE_URL, else embedded PGlite in DATA_DIR), heartbeat ingest from
 * the reply queue, the offline sweep, and the HTTP API.
 * Exit codes: 0 after SIGTERM/SIGINT, 78 invalid configuration, 1 otherwise.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Context, Effect, Layer, Option } from "effect";
import { runApp, withLogLevel } from "@homelab/config";
import {
  AgentRegistryLive,
  AlertRegistryLive,
  DatabaseStart,
  pgliteDatabase,
  postgresDatabase,
  startingDatabase,
  WorkRegistryLive
} from "@homelab/registry";
import { Amqp } from "@homelab/broker";
import { AlertChannels } from "./alerts/AlertChannels.ts";
import { alertWorkerLayer } from "./alerts/AlertWorker.ts";
import { announceLayer } from "./Announce.ts";
import { databaseProbeLayer, historyRetentionLayer, offlineSweepLayer, queueUpkeepLayer, workTimeoutLayer } from "./Background.ts";
import { HttpAccess } from "./http/auth.ts";
import { httpLayer } from "./http/index.ts";
import { LiveEvents } from "./live/LiveEvents.ts";
import { loadOrchestratorConfig } from "./OrchestratorConfig.ts";
import { OrchestratorMetrics } from "./OrchestratorMetrics.ts";
import { Readiness } from "./Readiness.ts";
import { Ingest, replyConsumerLayer } from "./ReplyIntake.ts";
import { Dispatcher } from "./work/Dispatcher.ts";
import { Placer } from "./work/Placer.ts";

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
  // The dashboard is built beside the bundle (dist/apps/dashboard next to dist/apps/orchestrator).
  const dashboardDir = Option.getOrElse(settings.dashboard_dir, () => fileURLToPath(new URL("../dashboard", import.meta.url)));
  // Connected and migrated in the background: HTTP listens at once (/readyz 503 naming the database until it is there).
  const starting = startingDatabase(database);
  const registry = Layer.mergeAll(AgentRegistryLive, WorkRegistryLive, AlertRegistryLive).pipe(Layer.provideMerge(starting));
  const broker = Dispatcher.layer.pipe(Layer.provideMerge(Amqp.layer(settings.amqp)));
  // Places queued work when room may have appeared (Ingest's heartbeats and results, the API, the periodic pass).
  const placement = Placer.layer.pipe(Layer.provideMerge(Layer.mergeAll(broker, OrchestratorMetrics.layer)));
  const access = { apiToken: settings.api_token, metricsToken: settings.metrics_token, allowedHosts: settings.http_allowed_hosts };
  const live = LiveEvents.layer({ heartbeatTimeoutSeconds: settings.heartbeat_timeout_seconds });
  const services = Layer.mergeAll(placement, Readiness.layer, HttpAccess.layer(access), live, AlertChannels.layer(settings.alerts)).pipe(
    Layer.provideMerge(registry)
  );
  const loops = Layer.mergeAll(
    databaseProbeLayer,
    replyConsumerLayer(settings.reply_queue).pipe(
      Layer.provide(Ingest.layer(settings.heartbeat_timeout_seconds, settings.agent_identity, settings.history_retention_days > 0))
    ),
    offlineSweepLayer({
      heartbeatTimeoutSeconds: settings.heartbeat_timeout_seconds,
      sweepIntervalSeconds: settings.offline_sweep_interval_seconds
    }),
    workTimeoutLayer({ graceSeconds: settings.work_result_grace_seconds, intervalSeconds: settings.offline_sweep_interval_seconds }),
    queueUpkeepLayer({ intervalSeconds: settings.offline_sweep_interval_seconds }),
    historyRetentionLayer(settings.history_retention_days),
    alertWorkerLayer(settings.alerts),
    announceLayer(settings)
  );
  const app = loops.pipe(
    Layer.provideMerge(httpLayer({ host: settings.http_host, port: settings.http_port, dashboardDir })),
    Layer.provideMerge(services)
  );
  // Runs until a signal; a start the database layer gives up on (a refused
  // login, a failed migration) stops the process with its message.
  return yield* Effect.scoped(
    Effect.gen(function* () {
      const context = yield* Layer.build(app);
      yield* Context.get(context, DatabaseStart).started;
      return yield* Effect.never;
    })
  ).pipe(withLogLevel(settings.log_level));
});

// A signal is the normal way to stop: exit 0.
runApp(program);
