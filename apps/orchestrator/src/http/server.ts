import { createServer } from "node:http";
import { Effect, Layer } from "effect";
import { HttpRouter, HttpServer } from "effect/http";
import type { ServeError } from "effect/http/HttpServerError";
import { NodeHttpServer } from "@effect/platform-node";
import type { AgentRegistry, AlertRegistry, WorkRegistry } from "@homelab/registry";
import type { AlertChannels } from "../alerts/AlertChannels.ts";
import type { OrchestratorMetrics } from "../OrchestratorMetrics.ts";
import { LiveEvents } from "../live/LiveEvents.ts";
import type { Readiness } from "../Readiness.ts";
import type { Dispatcher } from "../work/Dispatcher.ts";
import type { Placer } from "../work/Placer.ts";
import type { HttpAccess } from "./auth.ts";
import { routes } from "./router.ts";

export interface HttpOptions {
  readonly host: string;
  /** 0 asks the OS for a free port; read it back with `boundPort`. */
  readonly port: number;
  /** The dashboard's built files, served at `/`; none when unset. */
  readonly dashboardDir?: string;
}

/**
 * Serves the API on a Node `http.Server` for the life of the layer; the
 * server closes (gracefully) when the scope does. The layer's output is the
 * `HttpServer`, whose `address` says where it listens.
 */
export const httpLayer = (
  options: HttpOptions
): Layer.Layer<
  HttpServer.HttpServer,
  ServeError,
  AgentRegistry | WorkRegistry | AlertRegistry | AlertChannels | Dispatcher | Placer | HttpAccess | OrchestratorMetrics | Readiness | LiveEvents
> =>
  // find-my-way's default maxParamLength (100) would make a valid 128-character
  // agent_id "no route"; longer ids reach the handlers, whose pattern refuses them by name.
  liveFeedsEndFirst.pipe(
    Layer.provideMerge(HttpRouter.serve(routes(options.dashboardDir), { routerConfig: { maxParamLength: 1024 }, disableLogger: true })),
    Layer.provideMerge(NodeHttpServer.layerServer(createServer, { host: options.host, port: options.port }))
  );

/**
 * Built after the server, so released before it: on shutdown the pages'
 * live feeds (GET /events, open for as long as a page is) end first, and
 * the server's graceful close does not wait on them.
 */
const liveFeedsEndFirst = Layer.effectDiscard(
  Effect.gen(function* () {
    const live = yield* LiveEvents;
    yield* Effect.addFinalizer(() => live.close);
  })
);

/** The TCP port the server is bound to (the real one when it was started on port 0). */
export const boundPort: Effect.Effect<number, never, HttpServer.HttpServer> = Effect.gen(function* () {
  const { address } = yield* HttpServer.HttpServer;
  if (address._tag === "UnixPathAddress") return yield* Effect.die(`HTTP server listens on a socket path, not a port`);
  return address.port;
});
