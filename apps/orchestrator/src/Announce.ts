import { Effect, Layer, Option } from "effect";
import { accessSummary } from "./http/auth.ts";
import { boundPort } from "./http/index.ts";
import type { OrchestratorSettings } from "./OrchestratorConfig.ts";

/** One line at start-up: where it listens, which registry, which queue, and who may do what over HTTP. */
export const announceLayer = (settings: OrchestratorSettings) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const port = yield* boundPort;
      const registry = Option.isSome(settings.database_url) ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${settings.data_dir}`;
      const access = accessSummary({ apiToken: settings.api_token, metricsToken: settings.metrics_token, allowedHosts: settings.http_allowed_hosts });
      yield* Effect.logInfo(
        `orchestrator listening on http://${settings.http_host}:${port}; registry: ${registry}; reply queue ${settings.reply_queue}; ${access}`
      );
    })
  );
