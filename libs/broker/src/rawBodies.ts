import { Effect } from "effect";
import type { AsyncMessage, Channel } from "rabbitmq-client";
import clientPackage from "rabbitmq-client/package.json" with { type: "json" };

// The one place that reaches into rabbitmq-client's internals.

/** The rabbitmq-client versions whose Channel internals keepRawBodies was checked against. */
const CHECKED_VERSIONS = /^5\.0\./;

// Bodies stay raw on this consumer's channels (see keepRawBodies): a Buffer
// is used as it is, never copied; anything else is a bug upstream, kept as bytes.
export const rawBytes = (body: unknown): Buffer =>
  Buffer.isBuffer(body) ? body : body instanceof Uint8Array ? Buffer.from(body) : Buffer.from(typeof body === "string" ? body : JSON.stringify(body) ?? "");

/**
 * rabbitmq-client (5.0.8) decodes `application/json` and `text/plain` bodies
 * itself when a message's last frame arrives (`JSON.parse(body.toString())`):
 * invalid UTF-8 would become U+FFFD unseen and the 1 MiB limit could only be
 * checked on re-encoded JSON. On this consumer's channels the content type is
 * renamed (`RAW_PREFIX` + type) as the header frame arrives, before that, so
 * the body stays the bytes that were sent; `contentTypeOf` gives the real one
 * back. If a new version of the library no longer has the hook, start-up fails
 * with that sentence rather than silently decoding lossily.
 */
const RAW_PREFIX = "x-raw;";
interface HeaderFrame {
  readonly fields: { contentType?: string };
}
export const keepRawBodies = (channel: Channel): Effect.Effect<void, Error> =>
  Effect.try({
    try: () => {
      if (!CHECKED_VERSIONS.test(clientPackage.version)) {
        throw new Error(`rabbitmq-client ${clientPackage.version} is not a version keepRawBodies was checked against (5.0.x): check Channel._onHeader, then widen CHECKED_VERSIONS`);
      }
      const internal = channel as unknown as { _onHeader?: (frame: HeaderFrame) => void };
      const onHeader = internal._onHeader;
      if (typeof onHeader !== "function") throw new Error("rabbitmq-client has no Channel._onHeader: cannot keep message bodies raw");
      internal._onHeader = (frame) => {
        if (frame.fields.contentType !== undefined) frame.fields.contentType = RAW_PREFIX + frame.fields.contentType;
        onHeader.call(channel, frame);
      };
    },
    catch: (e) => (e instanceof Error ? e : new Error(String(e)))
  });
export const contentTypeOf = (msg: AsyncMessage): string | undefined =>
  msg.contentType?.startsWith(RAW_PREFIX) === true ? msg.contentType.slice(RAW_PREFIX.length) : msg.contentType;

