import { createHash, timingSafeEqual } from "node:crypto";
import { Context, Effect, Layer, Option, Redacted } from "effect";
import { HttpServerRequest } from "effect/http";
import { Unauthorized } from "./errors.ts";

/** The bearer token mutating endpoints require (SPEC §3 `API_TOKEN`); none: no auth. */
export class ApiToken extends Context.Service<ApiToken, Option.Option<Redacted.Redacted<string>>>()(
  "@homelab/orchestrator/ApiToken"
) {
  static readonly layer = (token: Option.Option<Redacted.Redacted<string>>): Layer.Layer<ApiToken> => Layer.succeed(ApiToken, token);
}

// Both sides hashed first: equal lengths for timingSafeEqual, and the time
// taken says nothing about the token's length or its first wrong byte.
const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
export const tokensEqual = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected));

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Fails with 401 unless the request carries `Authorization: Bearer <API_TOKEN>` (when a token is configured). */
export const requireToken: Effect.Effect<void, Unauthorized, ApiToken | HttpServerRequest.HttpServerRequest> = Effect.gen(
  function* () {
    const token = yield* ApiToken;
    if (Option.isNone(token)) return;
    const request = yield* HttpServerRequest.HttpServerRequest;
    const header = request.headers["authorization"];
    if (header === undefined || header === "") {
      return yield* new Unauthorized({ message: "this endpoint needs Authorization: Bearer <API_TOKEN>" });
    }
    const match = BEARER.exec(header);
    if (match === null) return yield* new Unauthorized({ message: "the Authorization header is not of the form Bearer <token>" });
    if (!tokensEqual(match[1] ?? "", Redacted.value(token.value))) {
      return yield* new Unauthorized({ message: "the bearer token is not the one this orchestrator was configured with" });
    }
  }
);
