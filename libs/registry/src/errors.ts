import { DrizzleQueryError } from "drizzle-orm";
import { Data } from "effect";

/** The database failed or is unreachable; `operation` names the repository method. */
export class RegistryError extends Data.TaggedError("RegistryError")<{
  readonly operation: string;
  readonly message: string;
  readonly cause?: unknown;
}> {}

// Drizzle wraps driver errors in a DrizzleQueryError whose message holds the
// whole statement and its parameters (a heartbeat batch is ~1 MB of JSON):
// keep the driver's own error as cause and message instead.
const driverError = (thrown: unknown): unknown =>
  thrown instanceof DrizzleQueryError && thrown.cause !== undefined ? thrown.cause : thrown;

/** The SQLSTATE of a driver error (postgres.js and PGlite both set `code`), if any. */
export const sqlState = (error: RegistryError): string | undefined => {
  const cause = error.cause;
  return typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined;
};

/** Maps anything a driver threw or rejected with to a RegistryError naming the operation. */
export const toRegistryError =
  (operation: string) =>
  (thrown: unknown): RegistryError => {
    const cause = driverError(thrown);
    const message = cause instanceof Error ? cause.message : String(cause);
    return new RegistryError({ operation, message: `${operation}: ${message}`, cause });
  };

/**
 * What retrying a failed registry write can do:
 * - `permanent`: the data caused it (SQLSTATE class 22, data exception, such
 *   as `\u0000` in jsonb or a date out of range; class 23, integrity
 *   constraint; or a value the driver itself refused to send): the same data
 *   fails the same way every time;
 * - `transient`: the database is unreachable or unavailable (connection
 *   errors, class 08, 53 insufficient resources, 57P01-57P03 shutdown or
 *   starting up, 40001/40P01 serialization or deadlock): it may work later;
 * - `unknown`: anything else (a statement the server refuses for another
 *   reason, a row that does not decode): worth a few tries, not forever.
 */
export type FailureKind = "permanent" | "transient" | "unknown";

/** Node's and postgres.js's codes for a connection that failed or went away. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED"
]);

const SQLSTATE = /^[0-9A-Z]{5}$/;
const TRANSIENT_STATES = new Set(["57P01", "57P02", "57P03", "40001", "40P01"]);

/** Classifies a failed registry call (see {@link FailureKind}). */
export const classifyFailure = (error: RegistryError): FailureKind => {
  const code = sqlState(error);
  if (code !== undefined && CONNECTION_CODES.has(code)) return "transient";
  if (code !== undefined && SQLSTATE.test(code)) {
    const kind = code.slice(0, 2);
    if (kind === "22" || kind === "23") return "permanent";
    if (kind === "08" || kind === "53" || TRANSIENT_STATES.has(code)) return "transient";
    return "unknown";
  }
  // Thrown while the driver serialised a parameter (no SQLSTATE, no
  // connection code): a value it cannot send, whatever the database's state.
  const cause = error.cause;
  if (code === undefined && (cause instanceof TypeError || cause instanceof RangeError)) return "permanent";
  return "unknown";
};
