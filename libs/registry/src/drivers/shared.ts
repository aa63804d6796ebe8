import { Effect, Schema } from "effect";
import { RegistryError, toRegistryError } from "../errors.ts";
import type { Db, RegistryDatabaseShape } from "../Services/RegistryDatabase.ts";

/** A schema that needs no services to decode (every schema for database rows). */
type RowSchema = Schema.Top & { readonly DecodingServices: never };

export const makeUse =
  (db: Db): RegistryDatabaseShape["use"] =>
  (operation, query) =>
    Effect.tryPromise({ try: () => Promise.resolve(query(db)), catch: toRegistryError(operation) });

/**
 * The rows of a raw `db.execute`: postgres.js answers an array of rows,
 * PGlite an object with `rows`.
 */
export const rowsOf = (result: unknown): ReadonlyArray<unknown> => {
  if (Array.isArray(result)) return result;
  if (typeof result === "object" && result !== null && "rows" in result && Array.isArray(result.rows)) {
    return result.rows;
  }
  return [];
};

/** Decodes rows read back from the database; a row that does not fit is a RegistryError, never a cast. */
export const decodeRows =
  <S extends RowSchema>(operation: string, schema: S) =>
  (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<S["Type"]>, RegistryError> =>
    Schema.decodeUnknownEffect(Schema.Array(schema))(rows).pipe(
      Effect.mapError(
        (issue) =>
          new RegistryError({
            operation,
            message: `${operation}: a row read back does not fit the registry schema: ${issue.message}`,
            cause: issue
          })
      )
    );

/** The single row a statement returns (e.g. `select pg_try_advisory_lock(...)`). */
export const decodeFirst = <S extends RowSchema>(
  operation: string,
  schema: S,
  rows: ReadonlyArray<unknown>
): Effect.Effect<S["Type"], RegistryError> =>
  decodeRows(operation, schema)(rows).pipe(
    Effect.flatMap((decoded) => {
      const [first] = decoded;
      return first === undefined
        ? Effect.fail(new RegistryError({ operation, message: `${operation}: the statement returned no row` }))
        : Effect.succeed(first);
    })
  );
