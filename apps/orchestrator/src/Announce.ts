import { Effect, Layer, Option } from "effect";
import { boundPort } from "./http/index.ts";
import type { OrchestratorSettings } from "./OrchestratorConfig.ts";

/** One line at start-up: where it listens, which registry, which queue, whether POST /work needs a token. */
export const announceLayer = (settings: OrchestratorSettings) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const port = yield* boundPort;
      const registry = Option.isSome(settings.database_url) ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${settings.data_dir}`;
      const token = Option.isSome(settings.api_token)
        ? "every endpoint but /healthz, /readyz and /metrics needs the API_TOKEN bearer token"
        : "no API_TOKEN: read-only except from this machine (loopback)";
      yield* Effect.logInfo(
        `orchestrator listening on http://${settings.http_host}:${port}; registry: ${registry}; reply queue ${settings.reply_queue}; ${token}`
      );
    })
  );
