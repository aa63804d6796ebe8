import { Schema } from "effect";
import { type Message, Message as MessageSchema } from "./Envelope.ts";

const encodeCanonical = Schema.encodeSync(MessageSchema);

const utf8 = new TextEncoder();

/**
 * The canonical wire JSON of a message: compact, keys in the order of SPEC §2,
 * absent optional fields omitted, and nothing the schemas do not know (extra
 * properties on the value are not sent). It does not re-validate figures:
 * check locally built messages with `decodeMessageValue` if in doubt.
 */
export const encodeMessageString = (message: Message): string =>
  JSON.stringify(encodeCanonical(message, { disableChecks: true }));

/** {@link encodeMessageString} as UTF-8 bytes, ready to publish with content type `application/json`. */
export const encodeMessage = (message: Message): Uint8Array => utf8.encode(encodeMessageString(message));
