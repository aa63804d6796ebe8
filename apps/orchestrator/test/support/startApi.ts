import { Context, Effect, Layer, Option, type Scope } from "effect";
import { type AgentRecord, RegistryError, WorkRegistry } from "@homelab/registry";
import { HttpAccess } from "../../src/http/auth.ts";
import { AlertChannels, NO_ALERT_CHANNELS } from "../../src/alerts/AlertChannels.ts";
import type { AlertSettings } from "../../src/alerts/types.ts";
import { boundPort, httpLayer } from "../../src/http/index.ts";
import { OrchestratorMetrics, type OrchestratorMetricsShape } from "../../src/OrchestratorMetrics.ts";
import { LiveEvents } from "../../src/live/LiveEvents.ts";
import { Readiness, type ReadinessShape } from "../../src/Readiness.ts";
import { Dispatcher, DispatchFailed } from "../../src/work/Dispatcher.ts";
import { Placer } from "../../src/work/Placer.ts";
import { makeTestRegistry, type TestRegistryControl } from "./TestRegistry.ts";

export interface RunningApi {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly registry: TestRegistryControl;
  readonly readiness: ReadinessShape;
  readonly metrics: OrchestratorMetricsShape;
}

export interface Reply {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

/**
 * For tests of the read side only: the work endpoints answer 503 (the work
 * registry and the broker fail every call). Work routes are tested over the
 * real database and broker in http.work.test.ts.
 */
const workUnavailable: Layer.Layer<WorkRegistry | Dispatcher | Placer> = Layer.mergeAll(
  Layer.succeed(WorkRegistry, {
    route: () => Effect.fail(new RegistryError({ operation: "route", message: "no work registry in this test" })),
    markDispatched: () => Effect.fail(new RegistryError({ operation: "markDispatched", message: "no work registry in this test" })),
    fail: () => Effect.fail(new RegistryError({ operation: "failWork", message: "no work registry in this test" })),
    markRunning: () => Effect.fail(new RegistryError({ operation: "markRunning", message: "no work registry in this test" })),
    recordResult: () => Effect.fail(new RegistryError({ operation: "recordResult", message: "no work registry in this test" })),
    timeOut: () => Effect.fail(new RegistryError({ operation: "timeOutWork", message: "no work registry in this test" })),
    get: () => Effect.fail(new RegistryError({ operation: "getWork", message: "no work registry in this test" })),
    list: () => Effect.fail(new RegistryError({ operation: "listWork", message: "no work registry in this test" })),
    enqueue: () => Effect.fail(new RegistryError({ operation: "enqueue", message: "no work registry in this test" })),
    impossible: () => Effect.fail(new RegistryError({ operation: "feasibility", message: "no work registry in this test" })),
    waitingReason: () => Effect.fail(new RegistryError({ operation: "waitingReason", message: "no work registry in this test" })),
    hasQueuedLike: () => Effect.fail(new RegistryError({ operation: "hasQueuedLike", message: "no work registry in this test" })),
    place: () => Effect.fail(new RegistryError({ operation: "placeQueued", message: "no work registry in this test" })),
    queue: () => Effect.fail(new RegistryError({ operation: "queue", message: "no work registry in this test" })),
    expire: Effect.fail(new RegistryError({ operation: "expireQueued", message: "no work registry in this test" })),
    bookings: Effect.fail(new RegistryError({ operation: "bookings", message: "no work registry in this test" })),
    cancel: () => Effect.fail(new RegistryError({ operation: "cancelWork", message: "no work registry in this test" }))
  }),
  Layer.succeed(Dispatcher, {
    dispatch: () => Effect.fail(new DispatchFailed({ message: "no broker in this test" })),
    cancel: () => Effect.fail(new DispatchFailed({ message: "no broker in this test" }))
  }),
  // Nothing is ever queued here: placement has nothing to do.
  Layer.succeed(Placer, { kick: () => Effect.void })
);

/** Serves the real HTTP API on an OS-chosen port over the test registry, for the life of the scope. */
export const startApi = (
  agents: ReadonlyArray<AgentRecord> = [],
  alerts: AlertSettings = NO_ALERT_CHANNELS
): Effect.Effect<RunningApi, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const registry = makeTestRegistry(agents);
    const services = Layer.mergeAll(
      registry.layer,
      Readiness.layer,
      OrchestratorMetrics.layer.pipe(Layer.provide(registry.workForMetrics)),
      workUnavailable,
      HttpAccess.layer(HttpAccess.open),
      registry.alertLayer,
      AlertChannels.layer(alerts)
    ).pipe(Layer.provideMerge(registry.layer));
    const live = LiveEvents.layer({ heartbeatTimeoutSeconds: 90 }).pipe(Layer.provide(Layer.merge(registry.layer, workUnavailable)));
    const context = yield* Layer.build(httpLayer({ host: "127.0.0.1", port: 0 }).pipe(Layer.provideMerge(Layer.merge(services, live))));
    const port = yield* boundPort.pipe(Effect.provideContext(context));
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      registry: registry.control,
      readiness: Context.get(context, Readiness),
      metrics: Context.get(context, OrchestratorMetrics)
    };
  });

/** A GET (or another method) with Node's own fetch, so the client under test is not Effect's. */
export const get = (api: Pick<RunningApi, "baseUrl">, path: string, method = "GET"): Effect.Effect<Reply> =>
  Effect.promise(async () => {
    const response = await fetch(`${api.baseUrl}${path}`, { method });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, contentType: response.headers.get("content-type"), text, json };
  });
