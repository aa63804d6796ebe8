import { randomUUID } from "node:crypto";
import { Clock, Effect } from "effect";
import { type BrokerConnection, PublishFailed } from "@homelab/broker";
import type { Message } from "@homelab/protocol";

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
    .publish(queue, message)
    .pipe(
      Effect.timeoutOrElse({
        duration: deadlineMs,
        orElse: () => Effect.fail(new PublishFailed({ queue, message: `not confirmed within ${deadlineMs} ms` }))
      })
    );
