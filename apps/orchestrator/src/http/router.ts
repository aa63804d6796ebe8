import { Effect, Layer } from "effect";
import { HttpRouter, HttpServerRequest } from "effect/http";
import { agentRoutes } from "./agents.ts";
import { capacityRoutes } from "./capacity.ts";
import { errorResponse, handle } from "./errors.ts";
import { healthRoutes } from "./health.ts";
import { metricsRoutes } from "./metrics.ts";
import { workRoutes } from "./work.ts";

/**
 * Anything no route matches (an unknown path, or a known path with another
 * method) gets a JSON 404 rather than the router's empty one. The router
 * prefers static and parameter routes over this wildcard, so routes added
 * later (`POST /work`) take precedence without touching it.
 */
const notFound = HttpRouter.add(
  "*",
  "*",
  handle(
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest;
      const path = new URL(request.url, "http://localhost").pathname;
      return errorResponse(404, `no route for ${request.method} ${path}`);
    })
  )
);

/** Every route of the orchestrator's HTTP API. */
export const routes = Layer.mergeAll(healthRoutes, agentRoutes, capacityRoutes, metricsRoutes, workRoutes, notFound);
