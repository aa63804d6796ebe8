import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { Effect, Option, Redacted, Schedule, Schema, type Scope } from "effect";
import postgres from "postgres";
import { type RegistryError, sqlState, toRegistryError } from "../errors.ts";
import { defaultMigrationsFolder, MIGRATION_LOCK_KEY } from "../migrations.ts";
import type { PostgresOptions, RegistryDatabaseShape } from "../Services/RegistryDatabase.ts";
import { decodeFirst, makeUse } from "./shared.ts";

const Locked = Schema.Struct({ locked: Schema.Boolean });

/** Connection refused / reset / timed out, or the server still starting up (57P03). */
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "CONNECT_TIMEOUT", "57P03"]);
const isUnreachable = (e: RegistryError): boolean => UNREACHABLE.has(sqlState(e) ?? "");

/**
 * A postgres.js pool with Drizzle over it, migrated, ended when the scope
 * closes. Advisory locks are session-level, so they are taken and released
 * on one reserved connection.
 */
export const makePostgres = (
  url: Redacted.Redacted<string>,
  options: PostgresOptions
): Effect.Effect<RegistryDatabaseShape, RegistryError, Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() =>
        postgres(Redacted.value(url), {
          max: Math.max(2, options.maxConnections ?? 10),
          // "schema drizzle already exists, skipping" and the like.
          onnotice: () => undefined
        })
      ),
      (sql) => Effect.tryPromise(() => sql.end({ timeout: 5 })).pipe(Effect.ignore)
    );
    const db = drizzle({ client });
    const use = makeUse(db);
    const dialect = new PgDialect();
    const executePrepared = (operation: string, statement: SQL) =>
      Effect.tryPromise({
        try: async (): Promise<ReadonlyArray<unknown>> => {
          const query = dialect.sqlToQuery(statement);
          // postgres.js names it by its text per connection, and prepares it
          // again by itself when a migration invalidated the cached plan.
          return await client.unsafe(query.sql, query.params as Array<postgres.ParameterOrJSON<never>>, { prepare: true });
        },
        catch: toRegistryError(operation)
      });

    /** Runs `f` on one connection of the pool, given back afterwards. */
    const reserved = <A, E, R>(operation: string, f: (conn: postgres.ReservedSql) => Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.tryPromise({ try: () => client.reserve(), catch: toRegistryError(operation) }),
        f,
        (conn) => Effect.sync(() => conn.release())
      );

    const unlock = (conn: postgres.ReservedSql, key: number, operation: string) =>
      Effect.tryPromise({
        try: () => conn`select pg_advisory_unlock(${key}::bigint)`,
        catch: toRegistryError(operation)
      }).pipe(
        // A connection that cannot run this is gone, and its locks with it.
        Effect.catch((e) => Effect.logWarning(`could not release advisory lock ${key}: ${e.message}`)),
        Effect.asVoid
      );

    const withTryAdvisoryLock = <A, E, R>(key: number, effect: Effect.Effect<A, E, R>) =>
      reserved("withTryAdvisoryLock", (conn) =>
        Effect.gen(function* () {
          const rows = yield* Effect.tryPromise({
            try: () => conn`select pg_try_advisory_lock(${key}::bigint) as locked`,
            catch: toRegistryError("withTryAdvisoryLock")
          });
          const { locked } = yield* decodeFirst("withTryAdvisoryLock", Locked, rows);
          if (!locked) return Option.none<A>();
          return yield* effect.pipe(Effect.map(Option.some), Effect.ensuring(unlock(conn, key, "withTryAdvisoryLock")));
        })
      );

    const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder();
    // Two orchestrators starting together would both find a migration
    // missing and both apply it: the second waits here for the first.
    const migrateAll = reserved("migrate", (conn) =>
      Effect.tryPromise({
        try: () => conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`,
        catch: toRegistryError("migrate")
      }).pipe(
        Effect.andThen(use("migrate", () => migrate(db, { migrationsFolder }))),
        Effect.ensuring(unlock(conn, MIGRATION_LOCK_KEY, "migrate"))
      )
    );

    // A database server that is not up yet (orchestrator started first, or
    // both booting) is waited for, not a reason to exit; anything else (bad
    // credentials, no such database) stops start-up with its message.
    yield* migrateAll.pipe(
      Effect.tapError((e) =>
        isUnreachable(e) ? Effect.logWarning(`database unreachable at start-up (${e.message}); retrying`) : Effect.void
      ),
      Effect.retry({ while: isUnreachable, schedule: Schedule.spaced("2 seconds") })
    );
    return { driver: "postgres", db, use, executePrepared, migrate: migrateAll, withTryAdvisoryLock } satisfies RegistryDatabaseShape;
  });
