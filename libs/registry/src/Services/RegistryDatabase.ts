import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { Context, type Effect, type Option } from "effect";
import type { RegistryError } from "../errors.ts";

/** Drizzle over either driver: the repositories are written once against this. */
export type Db = PgDatabase<PgQueryResultHKT>;

export interface DatabaseOptions {
  /**
   * Folder holding the drizzle-kit migrations (the `.sql` files and `meta/`).
   * Defaults to libs/registry/migrations found from this package's source
   * file; a bundled build (esbuild into dist/) must pass the folder it ships.
   */
  readonly migrationsFolder?: string;
}

export interface PostgresOptions extends DatabaseOptions {
  /** Pool size (default 10); one connection is taken while the sweep holds its lock. */
  readonly maxConnections?: number;
}

export interface RegistryDatabaseShape {
  readonly driver: "postgres" | "pglite";
  readonly db: Db;
  /** Runs one Drizzle call; a rejection becomes a RegistryError naming `operation`. */
  readonly use: <A>(operation: string, query: (db: Db) => PromiseLike<A>) => Effect.Effect<A, RegistryError>;
  /**
   * Runs one statement whose text never changes (the ingest's writes, run
   * for every batch) as a named prepared statement of its connection:
   * parsed and described once per connection, then one round trip per call
   * with the plan cached by PostgreSQL. `use` with `db.execute` sends an
   * unnamed statement each time: parsed, described (a round trip of its
   * own) and planned again. The rows as `db.execute` answers them (PGlite,
   * in process, runs it like `use`).
   */
  readonly executePrepared: (operation: string, statement: SQL) => Effect.Effect<ReadonlyArray<unknown>, RegistryError>;
  /** Applies the migrations not applied yet (none: nothing happens). Already done when the layer is built. */
  readonly migrate: Effect.Effect<void, RegistryError>;
  /**
   * Runs `effect` holding the session-level advisory lock `key` if
   * pg_try_advisory_lock grants it at once, and releases it afterwards;
   * `None` when another session (or, on PGlite, another fiber) holds it.
   */
  readonly withTryAdvisoryLock: <A, E, R>(
    key: number,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, E | RegistryError, R>;
}

/**
 * The registry's database, migrated: PostgreSQL through a postgres.js pool,
 * or PGlite (embedded PostgreSQL in WASM) in a folder or in memory; built by
 * `postgresDatabase` / `pgliteDatabase` (Layers/RegistryDatabase.ts).
 */
export class RegistryDatabase extends Context.Service<RegistryDatabase, RegistryDatabaseShape>()(
  "@homelab/registry/RegistryDatabase"
) {}
