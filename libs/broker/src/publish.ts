import { CONTENT_TYPE, encodeMessage, type Message } from "@homelab/protocol";

/**
 * How a protocol message goes on the wire (SPEC §2), for every publisher:
 * persistent, `application/json`, its message_id (and correlation_id when it
 * has one) as AMQP properties, the body as a Buffer (rabbitmq-client would
 * JSON-encode any other object, a Uint8Array too).
 */
export const messageProperties = (
  message: Pick<Message, "message_id" | "correlation_id">
): { readonly durable: true; readonly contentType: string; readonly messageId: string; readonly correlationId?: string } => ({
  durable: true,
  contentType: CONTENT_TYPE,
  messageId: message.message_id,
  ...(message.correlation_id === undefined ? {} : { correlationId: message.correlation_id })
});

/**
 * The broker user an AMQP URL connects as, for the `user_id` property
 * (RabbitMQ refuses a publish whose user_id is not the connection's user, so
 * a receiver can trust it); undefined when the URL names none.
 */
export const brokerUserOf = (url: string): string | undefined => {
  if (!URL.canParse(url)) return undefined;
  const user = decodeURIComponent(new URL(url).username);
  return user === "" ? undefined : user;
};

/** The encoded message as the Buffer rabbitmq-client sends as is. */
export const messageBody = (message: Message): Buffer => Buffer.from(encodeMessage(message));
