/** The protocol version this build speaks; the only `version` it accepts. */
export const PROTOCOL_VERSION = 1;

/** Largest message body accepted on the wire, in bytes (1 MiB). Checked before parsing. */
export const MAX_MESSAGE_BYTES = 1_048_576;

/** AMQP `content-type` of every protocol message. */
export const CONTENT_TYPE = "application/json";

/** AMQP `delivery-mode` for persistent messages; every protocol message is published with it. */
export const PERSISTENT_DELIVERY_MODE = 2;
