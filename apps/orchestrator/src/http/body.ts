import { ByteSize, Effect, Schema } from "effect";
import { HttpIncomingMessage, HttpServerRequest } from "effect/http";
import { findUnstorableText } from "@homelab/protocol";
import { BadRequest, PayloadTooLarge } from "./errors.ts";
import { problemsOf } from "./query.ts";

/** A job's body is a few hundred bytes; anything near this is a mistake. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Deeper than any body this API takes (a job is 3 levels deep); deeper input is refused before it is parsed. */
export const MAX_BODY_DEPTH = 32;

const tooLarge = () => new PayloadTooLarge({ message: `the body is over the limit of ${MAX_BODY_BYTES} bytes` });

/** How deep arrays and objects nest in JSON text (brackets inside strings do not count). */
const nestingDepth = (text: string): number => {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
};

/**
 * The request body as text, read only up to {@link MAX_BODY_BYTES}: a
 * `Content-Length` over it is refused before a byte is read, and a chunked
 * body is no longer kept once it passes the limit (413 either way), so a
 * huge upload costs no memory.
 */
const boundedText = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest;
  const declared = request.headers["content-length"];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > MAX_BODY_BYTES)) {
    return yield* /^\d+$/.test(declared) ? tooLarge() : new BadRequest({ message: `Content-Length must be a whole number of bytes, got ${JSON.stringify(declared)}` });
  }
  return yield* request.text.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(MAX_BODY_BYTES)),
    Effect.mapError((e) =>
      e.reason._tag === "RequestParseError" && e.reason.reason === "BodyTooLarge"
        ? tooLarge()
        : new BadRequest({ message: "the request body could not be read" })
    )
  );
});

/**
 * Reads the request body as a JSON object and decodes it with `schema`;
 * every problem is a 4xx naming it: not JSON, too large (413), nested too
 * deep, a string the database cannot store (NUL, a lone surrogate) at its
 * field, or a field the schema refuses.
 */
export const decodeJsonBody = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest;
    const type = request.headers["content-type"] ?? "";
    if (!/^application\/json\b/i.test(type)) {
      return yield* new BadRequest({ message: `the body must be JSON (Content-Type: application/json), got ${JSON.stringify(type)}` });
    }
    const text = yield* boundedText;
    if (nestingDepth(text) > MAX_BODY_DEPTH) {
      return yield* new BadRequest({ message: `the body nests arrays or objects deeper than ${MAX_BODY_DEPTH} levels` });
    }
    const body = yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: (e) => new BadRequest({ message: `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}` })
    });
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return yield* new BadRequest({ message: "the body must be a JSON object" });
    }
    const unstorable = findUnstorableText(body);
    if (unstorable !== undefined) return yield* new BadRequest({ message: `${unstorable.path}: ${unstorable.problem}` });
    return yield* Schema.decodeUnknownEffect(schema)(body, { errors: "all", onExcessProperty: "error" }).pipe(
      Effect.mapError((error) => new BadRequest({ message: problemsOf(error.issue, body).join("; ") }))
    );
  });
