import { Data, Effect } from "effect";
import { HttpServerResponse } from "effect/http";
import type { RegistryError } from "@homelab/registry";

/** The request itself is wrong (a query parameter, a path segment); the message names what and why. */
export class BadRequest extends Data.TaggedError("BadRequest")<{ readonly message: string }> {}

/** The thing asked for does not exist. */
export class NotFound extends Data.TaggedError("NotFound")<{ readonly message: string }> {}

/** A dependency (the database) cannot answer right now; retrying later may work. */
export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly message: string }> {}

export type ApiError = BadRequest | NotFound | Unavailable;

const STATUS: Record<ApiError["_tag"], number> = { BadRequest: 400, NotFound: 404, Unavailable: 503 };

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
    Effect.catch((error) => Effect.succeed(errorResponse(STATUS[error._tag], error.message))),
    Effect.catchDefect((defect) =>
      Effect.logError("http: request failed", defect).pipe(Effect.as(errorResponse(500, "internal error")))
    )
  );
