import { Layer, type Redacted } from "effect";
import { makePglite } from "../drivers/pglite.ts";
import { makePostgres } from "../drivers/postgres.ts";
import type { RegistryError } from "../errors.ts";
import { type DatabaseOptions, type PostgresOptions, RegistryDatabase } from "../Services/RegistryDatabase.ts";

/** PostgreSQL through a postgres.js pool; migrations applied on start; pool ended with the scope. */
export const postgresDatabase = (
  url: Redacted.Redacted<string>,
  options: PostgresOptions = {}
): Layer.Layer<RegistryDatabase, RegistryError> => Layer.effect(RegistryDatabase, makePostgres(url, options));

/** Embedded PGlite in `dataDir` (created if missing), or "memory" for a database that lives as long as the layer. */
export const pgliteDatabase = (dataDir: string, options: DatabaseOptions = {}): Layer.Layer<RegistryDatabase, RegistryError> =>
  Layer.effect(RegistryDatabase, makePglite(dataDir, options));
