import { Context, Effect, Layer, Redacted } from "effect";
import { Connection } from "rabbitmq-client";
import { type AmqpEndpoint, connectionOptions } from "./endpoint.ts";
import { brokerUserOf } from "./publish.ts";

/**
 * The orchestrator's one AMQP connection (rabbitmq-client reconnects it by
 * itself), shared by the reply consumer and the work dispatcher; closed with
 * the layer.
 */
export class Amqp extends Context.Service<
  Amqp,
  {
    readonly connection: Connection;
    /** The broker user this connection authenticates as (the user_id of what the orchestrator publishes). */
    readonly user: string | undefined;
    /** host:port of the broker, for messages. */
    readonly address: string;
  }
>()("@homelab/broker/Amqp") {
  static readonly layer = (endpoint: AmqpEndpoint): Layer.Layer<Amqp> =>
    Layer.effect(
      Amqp,
      Effect.acquireRelease(
        Effect.sync(() => new Connection({ ...connectionOptions(endpoint), retryLow: 1000, retryHigh: 10_000 })),
        (c) => Effect.promise(() => c.close().catch(() => undefined))
      ).pipe(Effect.map((connection) => ({ connection, user: brokerUserOf(Redacted.value(endpoint.url)), address: endpoint.address })))
    );
}
