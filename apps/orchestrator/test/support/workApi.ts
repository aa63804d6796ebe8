// The real HTTP API over a database of its own and the shared broker, for
// the tests of the work endpoints and of bad input.
import { AlertChannels, NO_ALERT_CHANNELS } from "../../src/alerts/AlertChannels.ts";
import { Context, Effect, Layer, Option, Redacted, Schema, type Scope } from "effect";
import { StatusUpdate, workQueueName } from "@homelab/protocol";
import { AgentRegistry, postgresDatabase, registryLayer, WorkRegistry } from "@homelab/registry";
import { serviceUrls, testDatabase, testQueues, resources } from "@homelab/testing";
import { Amqp, endpointOf } from "@homelab/broker";
import { HttpAccess, type HttpAccessShape } from "../../src/http/auth.ts";
import { boundPort, httpLayer } from "../../src/http/index.ts";
import { OrchestratorMetrics } from "../../src/OrchestratorMetrics.ts";
import { LiveEvents } from "../../src/live/LiveEvents.ts";
import { Readiness } from "../../src/Readiness.ts";
import { Dispatcher } from "../../src/work/Dispatcher.ts";
import { Placer } from "../../src/work/Placer.ts";
import { gpu } from "./agentRecords.ts";

export interface Api {
  readonly base: string;
  readonly agents: Context.Service.Shape<typeof AgentRegistry>;
  readonly work: Context.Service.Shape<typeof WorkRegistry>;
  readonly live: Context.Service.Shape<typeof LiveEvents>;
  readonly adopt: (agentId: string) => void;
  /** Marks the broker and the database up, as the running orchestrator does once connected. */
  readonly ready: Effect.Effect<void>;
}

/** The real API over a database of its own and the shared broker. */
export const startWorkApi = (token?: string, access: Partial<HttpAccessShape> = {}): Effect.Effect<Api, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const database = yield* testDatabase("work_api");
    const queues = yield* testQueues();
    const registry = registryLayer(postgresDatabase(Redacted.make(database.url)));
    const dispatcher = Dispatcher.layer.pipe(Layer.provideMerge(Amqp.layer(endpointOf(serviceUrls().amqpUrl))));
    const services = Layer.mergeAll(
      Readiness.layer,
      AlertChannels.layer(NO_ALERT_CHANNELS),
      Placer.layer.pipe(Layer.provideMerge(Layer.mergeAll(dispatcher, OrchestratorMetrics.layer))),
      HttpAccess.layer({
        ...HttpAccess.open,
        apiToken: token === undefined ? Option.none() : Option.some(Redacted.make(token)),
        ...access
      })
    ).pipe(Layer.provideMerge(registry));
    const live = LiveEvents.layer({ heartbeatTimeoutSeconds: 90 }).pipe(Layer.provide(registry));
    const context = yield* Layer.build(httpLayer({ host: "127.0.0.1", port: 0 }).pipe(Layer.provideMerge(Layer.merge(services, live))));
    const port = yield* boundPort.pipe(Effect.provideContext(context));
    return {
      base: `http://127.0.0.1:${port}`,
      agents: Context.get(context, AgentRegistry),
      work: Context.get(context, WorkRegistry),
      live: Context.get(context, LiveEvents),
      adopt: (agentId) => void queues.adopt(workQueueName(agentId)),
      ready: Effect.gen(function* () {
        const readiness = Context.get(context, Readiness);
        yield* readiness.set("broker", true, "test");
        yield* readiness.set("database", true, "test");
      })
    };
  });

let seq = 0;
export const online = (api: Api, agentId: string, options: { gpus?: ReadonlyArray<number>; kinds?: ReadonlyArray<string> } = {}) => {
  api.adopt(agentId);
  const gpus = (options.gpus ?? []).map((free, i) => gpu(i, 24, free));
  const update = Schema.decodeUnknownSync(StatusUpdate)({
    agent_id: agentId,
    agent_type: "desktop",
    status: "online",
    boot_id: "4a0c9d7e-2b1f-4e6a-8c3d-5f7e9a1b2c3d",
    seq: seq++,
    capabilities: [...(options.kinds ?? ["echo"])],
    current_work: [],
    resources: resources({
      gpu_type: gpus.length > 0 ? "nvidia" : "none",
      gpu_count: gpus.length,
      gpus,
      gpu_vram_total_gb: 24 * gpus.length,
      gpu_vram_available_gb: gpus.reduce((t, g) => t + g.vram_available_gb, 0)
    })
  });
  return api.agents.applyHeartbeats([update]);
};

export const post = (api: Api, body: unknown, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(`${api.base}/work`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body)
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown>, auth: response.headers.get("www-authenticate") };
  });

export const getJson = (api: Api, path: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${api.base}${path}`);
    return { status: response.status, json: (await response.json()) as unknown };
  });

