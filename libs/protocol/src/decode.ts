import { Effect, Formatter, Predicate, Result, Schema } from "effect";
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from "./constants.ts";
import { DecodeError, type DecodeReason } from "./DecodeError.ts";
import { type Message, MESSAGE_TYPES, type MessageType, messageSchemas } from "./Envelope.ts";
import { decodeHeartbeatFast } from "./fastHeartbeat.ts";
import { AGENT_ID_PATTERN, AgentId } from "./fields.ts";
import { problemsOf, sentence, summarize } from "./problems.ts";
import { findUnstorableText } from "./text.ts";

// The stages of decoding, each with its own reason code, run in a fixed
// order so a message gets exactly one reason: size, UTF-8 and JSON syntax
// first (cheap, and nothing else can be judged before them), then the
// version (a newer version's types are not ours to judge), the type, the
// sender-side agent ids, and last the full schema.

const reject = (reason: DecodeReason, path: string, text: string): Result.Result<never, DecodeError> =>
  Result.fail(new DecodeError({ reason, path, message: sentence(path, text) }));

const utf8 = new TextDecoder("utf-8", { fatal: true });

// Bytes the string takes as UTF-8; a lone surrogate counts as the 3 bytes of U+FFFD.
const utf8Length = (text: string): number => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const oversized = (size: number): Result.Result<never, DecodeError> =>
  reject("oversized", "", `message is ${size} bytes, over the limit of ${MAX_MESSAGE_BYTES} bytes (1 MiB)`);

const toText = (input: Uint8Array | string): Result.Result<string, DecodeError> => {
  const size = typeof input === "string" ? utf8Length(input) : input.byteLength;
  if (size > MAX_MESSAGE_BYTES) {
    return oversized(size);
  }
  if (typeof input === "string") {
    return LONE_SURROGATE.test(input)
      ? reject("not_utf8", "", "message text contains an unpaired UTF-16 surrogate, which has no UTF-8 form")
      : Result.succeed(input.startsWith("\uFEFF") ? input.slice(1) : input); // as TextDecoder does for bytes
  }
  return Result.try({
    try: () => utf8.decode(input),
    catch: () => new DecodeError({ reason: "not_utf8", path: "", message: "message body is not valid UTF-8" })
  });
};

const parseJson = (text: string): Result.Result<unknown, DecodeError> =>
  Result.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) =>
      new DecodeError({
        reason: "malformed_json",
        path: "",
        message: sentence("", `malformed JSON: ${error instanceof Error ? error.message : String(error)}`)
      })
  });

const isMessageType = (value: unknown): value is MessageType => MESSAGE_TYPES.some((type) => type === value);

const kindOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;

const parseOptions = { errors: "first", reportInput: true, onExcessProperty: "ignore" } as const;

// The agent ids are checked before the rest so that a bad one is counted as
// such even when other fields are wrong too.
const agentIdError = (value: unknown, path: ReadonlyArray<string>): DecodeError | undefined => {
  // AgentId is the pattern (and a brand): a valid one needs no Schema run.
  if (typeof value === "string" && AGENT_ID_PATTERN.test(value)) return undefined;
  const checked = Schema.decodeUnknownResult(AgentId)(value, parseOptions);
  if (Result.isSuccess(checked)) return undefined;
  return new DecodeError({ reason: "invalid_agent_id", ...summarize(problemsOf(checked.failure.issue, path)) });
};

const PAYLOADS_WITH_AGENT_ID: ReadonlyArray<MessageType> = ["work_status", "work_result", "agent_shutdown"];

const validate = (value: unknown): Result.Result<Message, DecodeError> => {
  if (!Predicate.isObject(value)) {
    return reject("schema_violation", "", `expected a JSON object at the top level, got ${kindOf(value)}`);
  }
  if ("version" in value && value["version"] !== PROTOCOL_VERSION) {
    return reject(
      "unsupported_version",
      "version",
      `unsupported protocol version ${Formatter.format(value["version"])}; this build speaks version ${PROTOCOL_VERSION}`
    );
  }
  if (!("type" in value)) return reject("schema_violation", "type", "missing required field");
  const type = value["type"];
  if (!isMessageType(type)) {
    const known = MESSAGE_TYPES.join(", ");
    return reject("unknown_type", "type", `unknown message type ${Formatter.format(type)}; expected one of ${known}`);
  }
  const senderError = "sender" in value ? agentIdError(value["sender"], ["sender"]) : undefined;
  if (senderError !== undefined) return Result.fail(senderError);
  const payload = value["payload"];
  if (PAYLOADS_WITH_AGENT_ID.includes(type) && Predicate.isObject(payload) && "agent_id" in payload) {
    const payloadError = agentIdError(payload["agent_id"], ["payload", "agent_id"]);
    if (payloadError !== undefined) return Result.fail(payloadError);
  }
  // The hot type first, without the Schema; what it does not accept, the Schema decides.
  const fast = type === "work_status" ? decodeHeartbeatFast(value) : undefined;
  if (fast !== undefined) return senderMismatch(fast) ?? Result.succeed(fast);
  return validateWithSchema(type, value);
};

/** The Schema's decision on a message of a known type (what {@link validate} falls back to). */
export const validateWithSchema = (type: MessageType, value: unknown): Result.Result<Message, DecodeError> => {
  const decoded = Schema.decodeUnknownResult(messageSchemas[type])(value, parseOptions);
  if (Result.isSuccess(decoded)) {
    // Every string that is kept (unknown fields are dropped by the schema).
    const unstorable = findUnstorableText(decoded.success);
    if (unstorable !== undefined) return reject("schema_violation", unstorable.path, unstorable.problem);
    return senderMismatch(decoded.success) ?? Result.succeed(decoded.success);
  }
  return Result.fail(new DecodeError({ reason: "schema_violation", ...summarize(problemsOf(decoded.failure.issue)) }));
};

/** An agent's message must be sent by that agent: its envelope `sender` is its `payload.agent_id`. */
const senderMismatch = (message: Message): Result.Result<never, DecodeError> | undefined => {
  // Orchestrator messages name no agent of their own.
  if (message.type === "work_request" || message.type === "work_cancel") return undefined;
  const agentId = message.payload.agent_id;
  return message.sender === agentId
    ? undefined
    : reject(
        "sender_mismatch",
        "sender",
        `sender ${JSON.stringify(message.sender)} is not payload.agent_id ${JSON.stringify(agentId)}: an agent speaks only for itself`
      );
};

// Only a bug in this library (or a value no JSON parser produces, such as a
// cyclic object) could throw; it still becomes a dead letter, not a crash.
const guarded = (decode: () => Result.Result<Message, DecodeError>): Result.Result<Message, DecodeError> =>
  Result.try({
    try: decode,
    catch: (error) =>
      new DecodeError({
        reason: "schema_violation",
        path: "",
        message: sentence("", `message could not be decoded: ${error instanceof Error ? error.message : String(error)}`)
      })
  }).pipe(Result.flatMap((result) => result));

/**
 * Decodes one message body from the wire: size (> {@link MAX_MESSAGE_BYTES}
 * is refused before anything is parsed), UTF-8, JSON, then the schema.
 * Returns the message or a {@link DecodeError} naming the reason, the field
 * and the problem. Never throws, whatever the input.
 */
export const decodeMessage = (input: Uint8Array | string): Result.Result<Message, DecodeError> =>
  guarded(() => toText(input).pipe(Result.flatMap(parseJson), Result.flatMap(validate)));

/**
 * Validates an already-parsed JSON value as a protocol message (every stage
 * after JSON syntax; no size check). Use it when a driver has parsed the body
 * already, or to check a locally built message before publishing it. Never
 * throws.
 */
export const decodeMessageValue = (value: unknown): Result.Result<Message, DecodeError> =>
  guarded(() => validate(value));

/**
 * Decodes a message body as an AMQP client hands it over. Bytes and text get
 * {@link decodeMessage}. A value the client already parsed (rabbitmq-client
 * parses `application/json` bodies itself) is measured re-encoded against the
 * size limit, then validated; invalid UTF-8 it contained can no longer be seen.
 */
export const decodeDelivered = (body: unknown): Result.Result<Message, DecodeError> => {
  if (body instanceof Uint8Array || typeof body === "string") return decodeMessage(body);
  return guarded(() => {
    const size = utf8Length(JSON.stringify(body) ?? "");
    return size > MAX_MESSAGE_BYTES ? oversized(size) : validate(body);
  });
};

/** {@link decodeMessage} as an Effect that fails with {@link DecodeError}. */
export const decodeMessageEffect = (input: Uint8Array | string): Effect.Effect<Message, DecodeError> =>
  Effect.suspend(() => Effect.fromResult(decodeMessage(input)));
