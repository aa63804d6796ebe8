import { Context, Deferred, Effect, Layer, Option, Ref } from "effect";
import { RegistryError } from "../errors.ts";
import { RegistryDatabase, type RegistryDatabaseShape } from "../Services/RegistryDatabase.ts";

/** How the start-up of a `startingDatabase` goes. */
export class DatabaseStart extends Context.Service<
  DatabaseStart,
  {
    /** Completes once the database is connected and migrated; fails when start-up gave up (a refused login, a failed migration). */
    readonly started: Effect.Effect<void, RegistryError>;
  }
>()("@homelab/registry/DatabaseStart") {}

/**
 * The database, connected and migrated in the background: this layer is
 * ready at once, so whatever depends on the registry (the HTTP API) can
 * start while the database is still unreachable. Until `database` is built
 * every call fails at once with a RegistryError saying the database is not
 * reachable yet (HTTP answers 503, ingest holds its messages); afterwards
 * calls go straight to it. `postgresDatabase` keeps retrying an unreachable
 * server by itself; anything else that stops its start is `started`'s failure.
 */
export const startingDatabase = (
  database: Layer.Layer<RegistryDatabase, RegistryError>
): Layer.Layer<RegistryDatabase | DatabaseStart> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const scope = yield* Effect.scope;
      const done = yield* Deferred.make<void, RegistryError>();
      const current = yield* Ref.make(Option.none<RegistryDatabaseShape>());
      yield* Layer.buildWithScope(database, scope).pipe(
        Effect.map((context) => Context.get(context, RegistryDatabase)),
        Effect.tap((ready) => Ref.set(current, Option.some(ready))),
        Effect.asVoid,
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(done, exit)),
        Effect.forkIn(scope)
      );
      const notYet = (operation: string) =>
        new RegistryError({ operation, message: `${operation}: the database is not reachable yet (still connecting at start-up)` });
      const started = (operation: string) =>
        Ref.get(current).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.fail(notYet(operation)), onSome: Effect.succeed })));
      const proxy: RegistryDatabaseShape = {
        get driver(): RegistryDatabaseShape["driver"] {
          return Option.getOrThrowWith(Ref.getUnsafe(current), () => new Error("the database has not started yet")).driver;
        },
        get db(): RegistryDatabaseShape["db"] {
          return Option.getOrThrowWith(Ref.getUnsafe(current), () => new Error("the database has not started yet")).db;
        },
        use: (operation, query) => Effect.flatMap(started(operation), (d) => d.use(operation, query)),
        executePrepared: (operation, statement) => Effect.flatMap(started(operation), (d) => d.executePrepared(operation, statement)),
        migrate: Effect.flatMap(started("migrate"), (d) => d.migrate),
        withTryAdvisoryLock: (key, effect) => Effect.flatMap(started("advisoryLock"), (d) => d.withTryAdvisoryLock(key, effect))
      };
      return Context.make(RegistryDatabase, proxy).pipe(Context.add(DatabaseStart, { started: Deferred.await(done) }));
    })
  );
