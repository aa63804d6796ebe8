import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { Effect, Option, Schema, Semaphore, type Scope } from "effect";
import { type RegistryError, toRegistryError } from "../errors.ts";
import { defaultMigrationsFolder } from "../migrations.ts";
import type { DatabaseOptions, RegistryDatabaseShape } from "../Services/RegistryDatabase.ts";
import { decodeFirst, makeUse, rowsOf } from "./shared.ts";

const Locked = Schema.Struct({ locked: Schema.Boolean });

/**
 * PGlite (PostgreSQL in WASM, one session) with Drizzle over it, migrated,
 * closed when the scope closes. `dataDir` "memory" keeps nothing on disk.
 */
export const makePglite = (
  dataDir: string,
  options: DatabaseOptions
): Effect.Effect<RegistryDatabaseShape, RegistryError, Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => (dataDir === "memory" ? PGlite.create() : PGlite.create(dataDir)),
        catch: toRegistryError("open")
      }),
      (pg) => Effect.tryPromise(() => pg.close()).pipe(Effect.ignore)
    );
    const db = drizzle({ client });
    const use = makeUse(db);
    // Advisory locks are re-entrant within a session and PGlite has only
    // one: fibers of this process are kept apart by the semaphore, the
    // database lock is still taken so the SQL is the same as on PostgreSQL.
    const local = yield* Semaphore.make(1);

    const withTryAdvisoryLock = <A, E, R>(key: number, effect: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        const result = yield* use("withTryAdvisoryLock", (d) =>
          d.execute(sql`select pg_try_advisory_lock(${key}::bigint) as locked`)
        );
        const { locked } = yield* decodeFirst("withTryAdvisoryLock", Locked, rowsOf(result));
        if (!locked) return Option.none<A>();
        return yield* effect.pipe(
          Effect.map(Option.some),
          Effect.ensuring(
            use("withTryAdvisoryLock", (d) => d.execute(sql`select pg_advisory_unlock(${key}::bigint)`)).pipe(
              Effect.ignore
            )
          )
        );
      }).pipe(local.withPermitsIfAvailable(1), Effect.map(Option.flatten));

    const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder();
    const migrateAll = use("migrate", () => migrate(db, { migrationsFolder }));

    yield* migrateAll;
    return { driver: "pglite", db, use, migrate: migrateAll, withTryAdvisoryLock } satisfies RegistryDatabaseShape;
  });
