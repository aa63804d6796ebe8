import { Data, Effect } from "effect";
import { HttpServerResponse } from "effect/http";
import type { RegistryError } from "@homelab/registry";

/** The request itself is wrong (a query parameter, a path segment); the message names what and why. */
export class BadRequest extends Data.TaggedError("BadRequest")<{ readonly message: string }> {}

/** The thing asked for does not exist. */
export class NotFound extends Data.TaggedError("NotFound")<{ readonly message: string }> {}

/** A dependency (the database) cannot answer right now; retrying later may work. */
export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly message: string }> {}

/** A mutating request without the configured bearer token, or with another one. */
export class Unauthorized extends Data.TaggedError("Unauthorized")<{ readonly message: string }> {}

/** The body is over the size limit (refused before it is read). */
export class PayloadTooLarge extends Data.TaggedError("PayloadTooLarge")<{ readonly message: string }> {}

/** The request is valid but cannot be done in the current state (no agent has room). */
export class Conflict extends Data.TaggedError("Conflict")<{ readonly message: string }> {}

export type ApiError = BadRequest | NotFound | Unavailable | Unauthorized | Conflict | PayloadTooLarge;

const STATUS: Record<ApiError["_tag"], number> = {
  BadRequest: 400,
  Unauthorized: 401,
  NotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  Unavailable: 503
};

/** A JSON response; every body this API sends goes through here or `errorResponse`. */
export const jsonResponse = (body: unknown, status = 200): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(body, { status });

/** Errors are always JSON: `{ "error": "<what went wrong>" }`. */
export const errorResponse = (status: number, message: string): HttpServerResponse.HttpServerResponse =>
  jsonResponse({ error: message }, status);

/** A registry failure is the database being unavailable, for this request. */
export const databaseUnavailable = (error: RegistryError): Unavailable =>
  new Unavailable({ message: `database unavailable: ${error.message}` });

/**
 * Turns a handler's typed errors into their JSON responses, and a defect into
 * a logged 500 with a JSON body, so no route answers with an empty error.
 */
export const handle = <R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, ApiError, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  handler.pipe(
    Effect.catch((error) => {
      const response = errorResponse(STATUS[error._tag], error.message);
      // RFC 6750: a 401 says which scheme it wants.
      return Effect.succeed(
        error._tag === "Unauthorized" ? HttpServerResponse.setHeader(response, "www-authenticate", 'Bearer realm="orchestrator"') : response
      );
    }),
    Effect.catchDefect((defect) =>
      Effect.logError("http: request failed", defect).pipe(Effect.as(errorResponse(500, "internal error")))
    )
  );
