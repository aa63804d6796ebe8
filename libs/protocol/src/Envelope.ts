import { Schema } from "effect";
import { AgentShutdown } from "./AgentShutdown.ts";
import { PROTOCOL_VERSION } from "./constants.ts";
import { AgentId, IsoUtc, Uuid } from "./fields.ts";
import { optionalOrNull } from "./optional.ts";
import { StatusUpdate } from "./StatusUpdate.ts";
import { WorkCancel } from "./WorkCancel.ts";
import { WorkRequest } from "./WorkRequest.ts";
import { WorkResult } from "./WorkResult.ts";

/** Every message type of protocol version 1, in the order they are listed in SPEC §2. */
export const MESSAGE_TYPES = ["work_status", "work_result", "work_request", "agent_shutdown", "work_cancel"] as const;

/** The envelope `type`: selects the payload schema. */
export const MessageType = Schema.Literals(MESSAGE_TYPES);

/** A message type name. */
export type MessageType = typeof MessageType.Type;

// Unknown extra fields, at any depth, are tolerated and dropped on decode
// (Effect's default `onExcessProperty: "ignore"`): a newer agent may add
// fields and still be understood by this build. Every known field is checked
// strictly; nothing unknown is carried into the decoded value or re-encoded.
const headerFields = {
  message_id: Uuid,
  version: Schema.Literal(PROTOCOL_VERSION),
  sent_at: IsoUtc,
  sender: AgentId,
  correlation_id: optionalOrNull(Schema.String)
} as const;

const envelopeOf = <const T extends MessageType, P extends Schema.Top>(type: T, payload: P) =>
  Schema.Struct({
    message_id: headerFields.message_id,
    type: Schema.Literal(type),
    version: headerFields.version,
    sent_at: headerFields.sent_at,
    sender: headerFields.sender,
    correlation_id: headerFields.correlation_id,
    payload
  });

/**
 * The envelope of SPEC §2 with its payload left undecoded (any JSON object).
 * Useful for logging what a message claims to be; use {@link Message} to
 * decode one. `sender` is an agent_id or "orchestrator". `sent_at` is the
 * sender's clock and informational only. Unknown extra fields are dropped.
 */
export const Envelope = Schema.Struct({
  message_id: headerFields.message_id,
  type: MessageType,
  version: headerFields.version,
  sent_at: headerFields.sent_at,
  sender: headerFields.sender,
  correlation_id: headerFields.correlation_id,
  payload: Schema.Record(Schema.String, Schema.Unknown)
});

/** An envelope whose payload has not been decoded. */
export type Envelope = typeof Envelope.Type;

/** A heartbeat message (`type: "work_status"`, payload {@link StatusUpdate}). */
export const WorkStatusMessage = envelopeOf("work_status", StatusUpdate);
/** A result message (`type: "work_result"`, payload {@link WorkResult}); correlation_id = work_id. */
export const WorkResultMessage = envelopeOf("work_result", WorkResult);
/** A work message (`type: "work_request"`, payload {@link WorkRequest}); correlation_id = work_id. */
export const WorkRequestMessage = envelopeOf("work_request", WorkRequest);
/** A shutdown notice (`type: "agent_shutdown"`, payload {@link AgentShutdown}). */
export const AgentShutdownMessage = envelopeOf("agent_shutdown", AgentShutdown);

/** A cancel order (`type: "work_cancel"`, payload {@link WorkCancel}) on an agent's control queue; correlation_id = work_id. */
export const WorkCancelMessage = envelopeOf("work_cancel", WorkCancel);

/** The schema of each message type, keyed by the envelope `type`. */
export const messageSchemas = {
  work_status: WorkStatusMessage,
  work_result: WorkResultMessage,
  work_request: WorkRequestMessage,
  agent_shutdown: AgentShutdownMessage,
  work_cancel: WorkCancelMessage
} as const;

/**
 * Any protocol message: a union discriminated by `type`, whose value selects
 * the payload schema. Unknown extra fields are tolerated and dropped; every
 * known field is validated strictly.
 */
export const Message = Schema.Union([WorkStatusMessage, WorkResultMessage, WorkRequestMessage, AgentShutdownMessage, WorkCancelMessage]);

/** A decoded protocol message; narrow on `type` to reach a typed payload. */
export type Message = typeof Message.Type;

/** The message of one type. */
export type MessageOf<T extends MessageType> = Extract<Message, { readonly type: T }>;

/** The payload of one message type. */
export type PayloadOf<T extends MessageType> = MessageOf<T>["payload"];

/** What a caller supplies to build an envelope: ids and times come from the caller, never from here. */
export interface EnvelopeInput<T extends MessageType> {
  readonly type: T;
  readonly sender: AgentId;
  readonly payload: PayloadOf<T>;
  /** A fresh UUID, e.g. `crypto.randomUUID()`, drawn by the caller. */
  readonly message_id: string;
  /** The caller's clock as ISO-8601 UTC, e.g. from `Clock` / `DateTime.formatIso`. */
  readonly sent_at: string;
  readonly correlation_id?: string | undefined;
}

/** A message built by {@link makeEnvelope}; assignable to {@link Message} for a concrete `T`. */
export interface EnvelopeOf<T extends MessageType> {
  readonly message_id: string;
  readonly type: T;
  readonly version: typeof PROTOCOL_VERSION;
  readonly sent_at: string;
  readonly sender: AgentId;
  readonly correlation_id?: string;
  readonly payload: PayloadOf<T>;
}

/**
 * Wraps a payload in a version-1 envelope. Pure: the message id and send time
 * are passed in. It does not validate; run the result through
 * `decodeMessageValue` when the payload's figures are not already trusted.
 */
export const makeEnvelope = <T extends MessageType>(input: EnvelopeInput<T>): EnvelopeOf<T> => ({
  message_id: input.message_id,
  type: input.type,
  version: PROTOCOL_VERSION,
  sent_at: input.sent_at,
  sender: input.sender,
  ...(input.correlation_id === undefined ? {} : { correlation_id: input.correlation_id }),
  payload: input.payload
});
