import { Clock, Effect, Layer, Option } from "effect";
import { HttpRouter, HttpServerError, HttpServerRequest } from "effect/http";
import { agentRoutes } from "./agents.ts";
import { alertRoutes } from "./alerts.ts";
import { HttpAccess, hostOf } from "./auth.ts";
import { capacityRoutes } from "./capacity.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { errorResponse, handle } from "./errors.ts";
import { eventsRoute } from "./events.ts";
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
      // Not `new URL(...)`: a path such as "//" reads as a URL with no host and throws.
      const path = request.url.split("?")[0] ?? request.url;
      return errorResponse(404, `no route for ${request.method} ${path}`);
    })
  )
);

/**
 * A path the router cannot even decode (`/agents/%FF%FE`: percent-escapes
 * that are not UTF-8), or with a segment over the router's maxParamLength,
 * matches no route, not even the wildcard, and the router's own answer has
 * an empty body: answer it with a JSON 400 that says why.
 */
const undecodablePath = HttpRouter.middleware<{ handles: HttpServerError.HttpServerError }>()(
  (app) =>
    app.pipe(
      Effect.catchIf(
        (e: unknown): e is HttpServerError.HttpServerError =>
          HttpServerError.isHttpServerError(e) && e.reason._tag === "RouteNotFound",
        (e) => Effect.succeed(errorResponse(400, `no route for ${e.request.method} ${JSON.stringify(e.request.url)}: the path cannot be decoded (percent-escapes that are not UTF-8) or a segment is over 1024 characters`))
      )
    ),
  { global: true }
);

/**
 * With HTTP_ALLOWED_HOSTS set, a request whose Host header names another host
 * is refused before any route runs: a page on another site that rebinds its
 * DNS name to this machine cannot drive the API.
 */
const allowedHostsOnly = HttpRouter.middleware(
  (app) =>
    Effect.gen(function* () {
      const { allowedHosts } = yield* HttpAccess;
      if (Option.isNone(allowedHosts)) return yield* app;
      const request = yield* HttpServerRequest.HttpServerRequest;
      const host = hostOf(request.headers["host"] ?? "");
      if (allowedHosts.value.includes(host)) return yield* app;
      return errorResponse(403, `Host ${JSON.stringify(host)} is not in HTTP_ALLOWED_HOSTS (${allowedHosts.value.join(", ")})`);
    }),
  { global: true }
);

/** Probes and scrapes: every few seconds from a supervisor or Prometheus, logged at debug only. */
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * The access log (the server's own logger is off): one line per request
 * with method, path, status and duration; at debug for probes and scrapes
 * (200,000 of them a day would otherwise be 200,000 info lines), at info for
 * the rest.
 */
const accessLog = HttpRouter.middleware(
  (app) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest;
      const started = yield* Clock.currentTimeMillis;
      const path = request.url.split("?")[0] ?? request.url;
      const exit = yield* Effect.exit(app);
      const ms = (yield* Clock.currentTimeMillis) - started;
      const status = exit._tag === "Success" ? exit.value.status : 500;
      const line = `${request.method} ${path} ${status} ${ms} ms`;
      yield* QUIET_PATHS.has(path) ? Effect.logDebug(line) : Effect.logInfo(line);
      return yield* exit;
    }),
  { global: true }
);

/** Every route of the orchestrator's HTTP API, and the dashboard's files at `/` when `dashboardDir` is given. */
export const routes = (dashboardDir?: string) =>
  Layer.mergeAll(
    healthRoutes,
    agentRoutes,
    capacityRoutes,
    metricsRoutes,
    workRoutes,
    alertRoutes,
    eventsRoute,
    dashboardDir === undefined ? Layer.empty : dashboardRoutes(dashboardDir),
    notFound,
    undecodablePath,
    allowedHostsOnly,
    accessLog
  );
