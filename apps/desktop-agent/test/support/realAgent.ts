import { Effect, Layer } from "effect";
import { metricsLayer } from "@homelab/metrics";
import { runAgent, type AgentOptions } from "../../src/Agent.ts";
import { Broker, endpointOf } from "@homelab/broker";
import { TaskRunner } from "@homelab/process";

/**
 * The agent loop on a real broker (`amqpUrl`: the shared one, or a proxy in
 * front of it), with this machine's metrics (no GPU backend) and real task
 * processes, forked; interrupting the fiber stops it as SIGTERM would.
 */
export const forkAgentOnBroker = (options: AgentOptions, amqpUrl: string) =>
  runAgent(options).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(Broker.layer(endpointOf(amqpUrl)), metricsLayer({ gpuBackend: "none" }), TaskRunner.layer)),
    Effect.forkChild
  );
