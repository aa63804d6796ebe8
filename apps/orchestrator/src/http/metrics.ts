import { Effect } from "effect";
import { HttpRouter, HttpServerResponse } from "effect/http";
import { METRICS_CONTENT_TYPE, OrchestratorMetrics } from "../OrchestratorMetrics.ts";
import { requireMetricsToken } from "./auth.ts";
import { handle } from "./errors.ts";

/** `GET /metrics`: the Prometheus text format, for scraping. */
export const metricsRoutes = HttpRouter.add(
  "GET",
  "/metrics",
  handle(
    Effect.gen(function* () {
      yield* requireMetricsToken;
      const text = yield* (yield* OrchestratorMetrics).render;
      return HttpServerResponse.text(text, { contentType: METRICS_CONTENT_TYPE });
    })
  )
);
