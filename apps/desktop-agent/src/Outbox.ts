import { randomUUID } from "node:crypto";
import { Clock, Effect } from "effect";
import { encodeMessage, type Message } from "@homelab/protocol";
import { PublishFailed, type BrokerConnection } from "./Broker.ts";

/** A fresh message id and the send time by our clock, for `makeEnvelope`. */
export const stamp: Effect.Effect<{ readonly message_id: string; readonly sent_at: string }> = Effect.map(
  Clock.currentTimeMillis,
  (now) => ({ message_id: randomUUID(), sent_at: new Date(now).toISOString() })
);

/** Publishes one message with a deadline: past it the publish counts as failed. */
export const publishMessage = (
  conn: BrokerConnection,
  queue: string,
  message: Message,
  deadlineMs: number
): Effect.Effect<void, PublishFailed> =>
  conn
    .publish(queue, encodeMessage(message), {
      messageId: message.message_id,
      ...(message.correlation_id === undefined ? {} : { correlationId: message.correlation_id })
    })
    .pipe(
      Effect.timeoutOrElse({
        duration: deadlineMs,
        orElse: () => Effect.fail(new PublishFailed({ queue, message: `not confirmed within ${deadlineMs} ms` }))
      })
    );
