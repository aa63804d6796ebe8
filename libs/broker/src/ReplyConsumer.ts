import { Deferred, Effect, Schedule, type Scope } from "effect";
import type { AsyncMessage, Channel, Connection } from "rabbitmq-client";
import { decodeMessage, type Message, type RejectReason, replyQueueTopology } from "@homelab/protocol";
import { makeAckTracker, type Settlement } from "./AckTracker.ts";
import { describeConnectError } from "./endpoint.ts";
import { contentTypeOf, keepRawBodies, rawBytes } from "./rawBodies.ts";

export type { RejectReason } from "@homelab/protocol";

export type Handled =
  | { readonly _tag: "Ack" }
  /** Put back: a transient failure (the database is down); the message is valid. */
  | { readonly _tag: "Requeue"; readonly why: string }
  | { readonly _tag: "Reject"; readonly reason: RejectReason; readonly detail: string };

/**
 * Takes one valid message and calls `settle` once, when it is done with it
 * (an ack only after the message's effect is durable). A callback rather than
 * an Effect: this runs for every message, and a fiber and a promise per
 * message cost a fifth of the orchestrator's CPU at a few thousand a second.
 */
export type ReplyHandler = (message: Message, settle: (handled: Handled) => void, delivery: DeliveryFacts) => void;

/** What the broker vouches for about a delivery. */
export interface DeliveryFacts {
  /** The AMQP user_id property, which RabbitMQ checks against the publishing connection's user; undefined when not set. */
  readonly userId: string | undefined;
}

export interface ReplyConsumerOptions {
  /** The orchestrator's connection (see Amqp); the consumer opens its own channel on it. */
  readonly connection: Connection;
  /** host:port of the broker, named in connection errors. */
  readonly address: string;
  readonly replyQueue: string;
  /** basic.qos prefetch: how many unacked messages the orchestrator holds, so how many one batch can gather. */
  readonly prefetch: number;
  readonly onConnectionChange: (up: boolean, detail: string) => Effect.Effect<void>;
  readonly onRejected: (reason: RejectReason, detail: string) => Effect.Effect<void>;
  /** On close, how long to wait for the messages in hand to be handled (default 8 s). */
  readonly drainTimeoutMs?: number;
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Consumes the reply queue (declared with the protocol's arguments, as the
 * agents declare it) on a channel of its own. Every message is decoded from
 * the bytes as sent; one that fails, or whose type the orchestrator does not
 * handle, is republished to the dead-letter queue with the reason in its
 * headers (`x-reject-reason`, `x-reject-detail`), counted, logged, and acked:
 * never dropped silently, never requeued forever. A valid message is handed to
 * `handle` and settled as it says; acks are coalesced (see AckTracker).
 *
 * The channel is set up again whenever it closes (broker restart, network
 * loss, queue deleted), once a second until it works; the broker counts as up
 * for readiness only while the consumer is registered. Closing the scope
 * cancels the consumer, waits (up to `drainTimeoutMs`) for the messages in
 * hand to be handled, sends their acks, and closes.
 */
export const consumeReplies = (
  options: ReplyConsumerOptions,
  handle: ReplyHandler
): Effect.Effect<{ readonly ready: Effect.Effect<void> }, never, Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<never>();
    const run = Effect.runPromiseWith(context);
    const topology = replyQueueTopology(options.replyQueue);
    const conn = options.connection;
    conn.on("error", (e: unknown) => void run(options.onConnectionChange(false, describeConnectError(e, options.address))));
    const deadLetters = yield* Effect.acquireRelease(
      Effect.sync(() => conn.createPublisher({ confirm: true, maxAttempts: 2 })),
      (p) => Effect.promise(() => p.close().catch(() => undefined))
    );
    const deadLetter = (msg: AsyncMessage, body: Buffer, reason: RejectReason, detail: string) =>
      Effect.tryPromise(() =>
        deadLetters.send(
          {
            routingKey: topology.deadLetterQueue.queue,
            durable: true,
            contentType: "application/octet-stream",
            ...(msg.messageId === undefined ? {} : { messageId: msg.messageId }),
            headers: { "x-reject-reason": reason, "x-reject-detail": detail.slice(0, 1000), "x-original-content-type": contentTypeOf(msg) ?? "" }
          },
          body
        )
      ).pipe(
        Effect.andThen(options.onRejected(reason, detail)),
        Effect.as<Settlement>("ack"),
        // Could not dead-letter it ourselves: nack without requeue lets the
        // queue's own dead-letter exchange take it (without our headers).
        Effect.catch(() => Effect.succeed<Settlement>("drop"))
      );

    /** Decodes and hands over one delivery; `settle` gets how to settle it. */
    const onMessage = (msg: AsyncMessage, body: Buffer, settle: (how: Settlement) => void) => {
      const rejected = (reason: RejectReason, detail: string) =>
        void run(deadLetter(msg, body, reason, detail)).then(settle, () => settle("drop"));
      const decoded = decodeMessage(body);
      if (decoded._tag === "Failure") return rejected(decoded.failure.reason, decoded.failure.message);
      handle(decoded.success, (handled) => {
        switch (handled._tag) {
          case "Ack":
            return settle("ack");
          case "Requeue":
            return settle("requeue");
          case "Reject":
            return rejected(handled.reason, handled.detail);
        }
      }, { userId: msg.userId });
    };

    const consuming = yield* Deferred.make<void>();
    const drainTimeoutMs = options.drainTimeoutMs ?? 8_000;

    /** One channel's life: set up, consume until it closes; on interruption drain and close it. */
    const session = Effect.gen(function* () {
      const channel = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => conn.acquire(), catch: (e) => new Error(describe(e)) }),
        (ch) => Effect.promise(() => ch.close().catch(() => undefined))
      );
      yield* keepRawBodies(channel);
      const closed = yield* Deferred.make<void>();
      channel.once("close", () => Deferred.doneUnsafe(closed, Effect.void));
      const declare = (queue: string, args: Readonly<Record<string, unknown>>) =>
        Effect.tryPromise({
          try: () => channel.queueDeclare({ queue, durable: true, arguments: { ...args } }),
          catch: (e) => new Error(`declaring ${queue}: ${describe(e)}`)
        });
      yield* declare(topology.deadLetterQueue.queue, topology.deadLetterQueue.arguments);
      yield* declare(topology.queue, topology.arguments);
      yield* Effect.tryPromise({ try: () => channel.basicQos({ prefetchCount: options.prefetch }), catch: (e) => new Error(describe(e)) });

      const acks = makeAckTracker(channel);
      let drained: (() => void) | undefined;
      const settle = (tag: number, how: Settlement) => {
        if (!channel.active) return; // gone with its channel: the broker delivers it again
        acks.settle(tag, how);
        if (acks.unsettled() === 0) drained?.();
      };
      const onDelivery = (msg: AsyncMessage) => {
        const tag = msg.deliveryTag;
        acks.received(tag);
        onMessage(msg, rawBytes(msg.body), (how) => settle(tag, how));
      };
      yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => channel.basicConsume({ queue: topology.queue }, onDelivery),
          catch: (e) => new Error(`consuming ${topology.queue}: ${describe(e)}`)
        }),
        ({ consumerTag }) =>
          Effect.gen(function* () {
            if (!channel.active) return;
            yield* Effect.promise(() => channel.basicCancel(consumerTag).catch(() => undefined));
            // The batch in hand is written and acked before the channel closes.
            if (acks.unsettled() > 0) {
              yield* Effect.callback<void>((resume) => {
                drained = () => resume(Effect.void);
              }).pipe(Effect.timeoutOption(drainTimeoutMs));
            }
            acks.flush();
          })
      );
      // The server cancels the consumer when the queue is deleted: start over.
      channel.on("basic.cancel", () => void channel.close().catch(() => undefined));
      yield* options.onConnectionChange(true, "consuming");
      Deferred.doneUnsafe(consuming, Effect.void);
      yield* Deferred.await(closed);
      yield* options.onConnectionChange(false, "channel closed");
      return yield* Effect.fail(new Error("channel closed"));
    }).pipe(Effect.scoped);

    yield* session.pipe(
      Effect.tapError((e) => Effect.logWarning(`reply consumer: ${e.message}; setting it up again`)),
      Effect.retry(Schedule.spaced("1 second")),
      Effect.forkScoped
    );
    /** Completes once the queues are declared and the consumer is registered. */
    const ready = Deferred.await(consuming);
    return { ready };
  });
