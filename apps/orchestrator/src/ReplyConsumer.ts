import { Deferred, Effect, Redacted, type Scope } from "effect";
import { Connection, ConsumerStatus, type AsyncMessage } from "rabbitmq-client";
import {
  decodeDelivered,
  replyQueueTopology,
  type DecodeReason,
  type Message
} from "@homelab/protocol";

/** Why a message went to the dead-letter queue: a decode reason, or a type this orchestrator does not handle. */
export type RejectReason = DecodeReason | "unsupported";

export type Handled =
  | { readonly _tag: "Ack" }
  /** Put back: a transient failure (the database is down); the message is valid. */
  | { readonly _tag: "Requeue"; readonly why: string }
  | { readonly _tag: "Reject"; readonly reason: RejectReason; readonly detail: string };

export interface ReplyConsumerOptions {
  readonly url: Redacted.Redacted<string>;
  readonly replyQueue: string;
  /** basic.qos prefetch and handler concurrency: how many messages one batch can gather. */
  readonly prefetch: number;
  readonly onConnectionChange: (up: boolean, detail: string) => Effect.Effect<void>;
  readonly onRejected: (reason: RejectReason, detail: string) => Effect.Effect<void>;
}

const rawBytes = (body: unknown): Buffer =>
  body instanceof Uint8Array ? Buffer.from(body) : Buffer.from(typeof body === "string" ? body : JSON.stringify(body) ?? "");

/**
 * Consumes the reply queue (declared with the protocol's arguments, as the
 * agents declare it). Every message is decoded; one that fails, or whose
 * type the orchestrator does not handle, is republished to the dead-letter
 * queue with the reason in its headers (`x-reject-reason`,
 * `x-reject-detail`), counted, logged, and acked: never dropped silently,
 * never requeued forever. A valid message is handed to `handle`, acked only
 * when it says so.
 */
export const consumeReplies = (
  options: ReplyConsumerOptions,
  handle: (message: Message) => Effect.Effect<Handled>
): Effect.Effect<{ readonly connection: Connection; readonly ready: Effect.Effect<void> }, never, Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<never>();
    const run = Effect.runPromiseWith(context);
    const topology = replyQueueTopology(options.replyQueue);
    const conn = yield* Effect.acquireRelease(
      Effect.sync(() => new Connection({ url: Redacted.value(options.url), noDelay: true, retryLow: 1000, retryHigh: 10_000 })),
      (c) => Effect.promise(() => c.close().catch(() => undefined))
    );
    conn.on("connection", () => void run(options.onConnectionChange(true, "connected")));
    conn.on("error", (e: unknown) =>
      void run(options.onConnectionChange(false, e instanceof Error ? e.message : String(e)))
    );
    const deadLetters = yield* Effect.acquireRelease(
      Effect.sync(() =>
        conn.createPublisher({
          confirm: true,
          maxAttempts: 2,
          queues: [{ queue: topology.deadLetterQueue.queue, durable: true, arguments: { ...topology.deadLetterQueue.arguments } }]
        })
      ),
      (p) => Effect.promise(() => p.close().catch(() => undefined))
    );
    const deadLetter = (msg: AsyncMessage, reason: RejectReason, detail: string) =>
      Effect.tryPromise(() =>
        deadLetters.send(
          {
            routingKey: topology.deadLetterQueue.queue,
            durable: true,
            contentType: "application/octet-stream",
            ...(msg.messageId === undefined ? {} : { messageId: msg.messageId }),
            headers: { "x-reject-reason": reason, "x-reject-detail": detail.slice(0, 1000), "x-original-content-type": msg.contentType ?? "" }
          },
          rawBytes(msg.body)
        )
      ).pipe(
        Effect.andThen(options.onRejected(reason, detail)),
        Effect.as(ConsumerStatus.ACK),
        // Could not dead-letter it ourselves: nack without requeue lets the
        // queue's own dead-letter exchange take it (without our headers).
        Effect.catch(() => Effect.succeed(ConsumerStatus.DROP))
      );

    const onMessage = (msg: AsyncMessage) =>
      Effect.gen(function* () {
        const decoded = decodeDelivered(msg.body);
        if (decoded._tag === "Failure") return yield* deadLetter(msg, decoded.failure.reason, decoded.failure.message);
        const handled = yield* handle(decoded.success);
        switch (handled._tag) {
          case "Ack":
            return ConsumerStatus.ACK;
          case "Requeue":
            return ConsumerStatus.REQUEUE;
          case "Reject":
            return yield* deadLetter(msg, handled.reason, handled.detail);
        }
      });

    const consumer = yield* Effect.acquireRelease(
      Effect.sync(() =>
        conn.createConsumer(
          {
            queue: topology.queue,
            queueOptions: { durable: true, arguments: { ...topology.arguments } },
            qos: { prefetchCount: options.prefetch },
            concurrency: options.prefetch,
            requeue: true
          },
          (msg) => run(onMessage(msg))
        )
      ),
      // Closing waits for handlers in flight: the batch in hand is flushed and acked.
      (c) => Effect.promise(() => c.close().catch(() => undefined))
    );
    consumer.on("error", (e: unknown) =>
      void run(Effect.logWarning(`reply consumer: ${e instanceof Error ? e.message : String(e)}`))
    );
    const consuming = yield* Deferred.make<void>();
    consumer.on("ready", () => Deferred.doneUnsafe(consuming, Effect.void));
    /** Completes once the queues are declared and the consumer is registered. */
    const ready = Deferred.await(consuming);
    return { connection: conn, ready };
  });

