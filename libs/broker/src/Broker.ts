import { Context, Data, Deferred, Effect, type Exit, Layer, Redacted, Scope } from "effect";
import type { Message, QueueDeclaration } from "@homelab/protocol";
import { type AsyncMessage, Connection } from "rabbitmq-client";
import { type AmqpEndpoint, connectionOptions, describeConnectError } from "./endpoint.ts";
import { brokerUserOf, messageBody, messageProperties } from "./publish.ts";
import { keepRawBodies, rawBytes } from "./rawBodies.ts";

/** One connection attempt failed (refused, timed out, bad credentials…). */
export class ConnectFailed extends Data.TaggedError("ConnectFailed")<{ readonly message: string }> {}

/** A publish was not confirmed by the broker. */
export class PublishFailed extends Data.TaggedError("PublishFailed")<{ readonly queue: string; readonly message: string }> {}

/** What a message handler tells the broker: ack it, put it back, or drop (dead-letter) it. */
export type Disposition = "ack" | "requeue" | "drop";

/** One message as the broker delivered it. */
export interface Delivery {
  /** The body as the bytes that were sent (decode it with decodeMessage / decodeDelivered). */
  readonly body: unknown;
  /**
   * AMQP's `redelivered` flag: the broker delivered this message before and it
   * was not acked (a consumer died, lost its connection or requeued it).
   */
  readonly redelivered: boolean;
  /** The AMQP user_id, which RabbitMQ checked against the publisher's broker user; undefined when not set. */
  readonly userId?: string | undefined;
}

export interface ConsumeOptions {
  readonly queue: QueueDeclaration;
  /** basic.qos prefetch, and how many handlers run at once. */
  readonly prefetch: number;
  /**
   * Called when the scope closes, once no new message will reach the handler
   * and before waiting for the handlers in flight, with the scope's exit
   * (interrupted: the agent is stopping).
   */
  readonly onClosing?: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>;
}

/** A live connection; everything it opened is closed with the scope it was made in. */
export interface BrokerConnection {
  /**
   * Declares a queue with its arguments; when this broker user may not
   * (a least-privilege agent user, see add-agent, may configure only its own
   * work queue), checks that the queue exists instead.
   */
  readonly declare: (queue: QueueDeclaration) => Effect.Effect<void, PublishFailed>;
  /** Publishes a protocol message to `queue` (default exchange), confirmed by the broker. */
  readonly publish: (queue: string, message: Message) => Effect.Effect<void, PublishFailed>;
  /**
   * Consumes until the scope closes, running up to `prefetch` handlers at
   * once; closing stops deliveries, then waits for handlers in flight.
   */
  readonly consume: (
    options: ConsumeOptions,
    handler: (delivery: Delivery) => Effect.Effect<Disposition>
  ) => Effect.Effect<void, never, Scope.Scope>;
  /** Completes, with a reason, when the connection is lost. */
  readonly lost: Effect.Effect<string>;
}

export class Broker extends Context.Service<
  Broker,
  { readonly connect: Effect.Effect<BrokerConnection, ConnectFailed, Scope.Scope> }
>()("@homelab/broker/Broker") {
  /**
   * rabbitmq-client with `noDelay` (without it every confirmed publish waits
   * ~20 ms on Nagle). Reconnection is ours, not the client's: on a drop the
   * connection is closed and `lost` completes; the caller decides when to try
   * again (the SPEC's backoff schedule).
   */
  static readonly layer = (endpoint: AmqpEndpoint, connectTimeoutMs = 5000): Layer.Layer<Broker> =>
    Layer.succeed(Broker, { connect: connectLive(endpoint, connectTimeoutMs) });
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const errorCode = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined;

const connectLive = (endpoint: AmqpEndpoint, timeoutMs: number) =>
  Effect.gen(function* () {
    const conn = yield* Effect.acquireRelease(open(endpoint, timeoutMs), (c) =>
      Effect.promise(() => c.close().catch(() => undefined))
    );
    const lost = yield* Deferred.make<string>();
    // Every message says which broker user sent it; RabbitMQ checks it against this connection's user.
    const user = brokerUserOf(Redacted.value(endpoint.url));
    const userId = user === undefined ? {} : { userId: user };
    conn.on("error", (e) => Deferred.doneUnsafe(lost, Effect.succeed(`connection lost: ${reason(e)}`)));
    const publisher = yield* Effect.acquireRelease(
      Effect.sync(() => conn.createPublisher({ confirm: true, maxAttempts: 1 })),
      (p) => Effect.promise(() => p.close().catch(() => undefined))
    );
    const connection: BrokerConnection = {
      declare: (q) =>
        Effect.tryPromise({
          try: async () => {
            try {
              await conn.queueDeclare({ queue: q.queue, durable: q.durable, arguments: { ...q.arguments } });
            } catch (e) {
              if (errorCode(e) !== "ACCESS_REFUSED") throw e;
              // Not ours to create: it is enough that the orchestrator (or add-agent) made it.
              await conn.queueDeclare({ queue: q.queue, passive: true }).catch((missing: unknown) => {
                throw errorCode(missing) === "NOT_FOUND"
                  ? new Error(`queue ${q.queue} does not exist and broker user ${user ?? "(none)"} may not create it: start the orchestrator (or run its add-agent) first`)
                  : missing;
              });
            }
          },
          catch: (e) => new PublishFailed({ queue: q.queue, message: `declare ${q.queue}: ${reason(e)}` })
        }).pipe(Effect.asVoid),
      publish: (queue, message) =>
        Effect.tryPromise({
          try: () => publisher.send({ routingKey: queue, ...messageProperties(message), ...userId }, messageBody(message)),
          catch: (e) => new PublishFailed({ queue, message: reason(e) })
        }),
      consume: (options, handler) =>
        Effect.gen(function* () {
          const context = yield* Effect.context<never>();
          const run = Effect.runPromiseWith(context);
          // A channel of its own with the bodies kept as the bytes that were
          // sent (rawBodies.ts): decodeMessage sees invalid UTF-8 and measures
          // the real size, as on the orchestrator's reply queue.
          const channel = yield* Effect.acquireRelease(
            Effect.tryPromise({ try: () => conn.acquire(), catch: (e) => new Error(reason(e)) }),
            (ch) => Effect.promise(() => ch.close().catch(() => undefined))
          ).pipe(Effect.orDie);
          yield* keepRawBodies(channel).pipe(Effect.orDie);
          const q = options.queue;
          yield* Effect.promise(() => channel.queueDeclare({ queue: q.queue, durable: q.durable, arguments: { ...q.arguments } }));
          yield* Effect.promise(() => channel.basicQos({ prefetchCount: options.prefetch }));
          let closing = false;
          let inFlight = 0;
          let drained: (() => void) | undefined;
          const settle = (deliveryTag: number, disposition: Disposition) => {
            inFlight -= 1;
            if (channel.active) {
              const done =
                disposition === "ack"
                  ? channel.basicAck({ deliveryTag })
                  : channel.basicNack({ deliveryTag, requeue: disposition === "requeue" });
              // An ack after the connection went (a handler that outlived it): the broker delivers it again.
              void Promise.resolve(done).catch((e: unknown) => run(Effect.logWarning(`work consumer: ${reason(e)}`)));
            }
            if (inFlight === 0) drained?.();
          };
          const onDelivery = (msg: AsyncMessage) => {
            inFlight += 1;
            // Closing: deliveries already on their way go back to the queue, unhandled.
            if (closing) return settle(msg.deliveryTag, "requeue");
            void run(handler({ body: rawBytes(msg.body), redelivered: msg.redelivered, userId: msg.userId })).then(
              (disposition) => settle(msg.deliveryTag, disposition),
              () => settle(msg.deliveryTag, "requeue")
            );
          };
          // The channel closing under us (the queue deleted, a channel error) is a lost connection: the caller reconnects.
          channel.once("close", () => {
            if (!closing) void run(Deferred.succeed(lost, "work consumer channel closed"));
          });
          yield* Effect.acquireRelease(
            Effect.promise(() => channel.basicConsume({ queue: q.queue }, onDelivery)),
            ({ consumerTag }, exit) =>
              Effect.gen(function* () {
                // Stop deliveries at once, then wait for the handlers in flight.
                closing = true;
                if (channel.active) yield* Effect.promise(() => channel.basicCancel(consumerTag).catch(() => undefined));
                if (options.onClosing !== undefined) yield* options.onClosing(exit);
                if (inFlight > 0) {
                  yield* Effect.callback<void>((resume) => {
                    drained = () => resume(Effect.void);
                    if (inFlight === 0) resume(Effect.void);
                  });
                }
              })
          );
        }),
      lost: Deferred.await(lost)
    };
    return connection;
  });

/** Opens one connection, failing on the first error instead of retrying inside the client. */
const open = (endpoint: AmqpEndpoint, timeoutMs: number) =>
  Effect.tryPromise({
    try: () =>
      new Promise<Connection>((resolve, reject) => {
        const conn = new Connection({
          ...connectionOptions(endpoint),
          connectionTimeout: timeoutMs,
          retryLow: 1000,
          retryHigh: 1000
        });
        const fail = (e: unknown) => {
          conn.removeListener("connection", ok);
          void conn.close().catch(() => undefined);
          reject(e);
        };
        const ok = () => {
          conn.removeListener("error", fail);
          resolve(conn);
        };
        conn.once("error", fail);
        conn.once("connection", ok);
      }),
    catch: (e) => new ConnectFailed({ message: describeConnectError(e, endpoint.address) })
  });
