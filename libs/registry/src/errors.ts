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
