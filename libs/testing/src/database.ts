import { Effect, Scope } from "effect";
import postgres from "postgres";
import { uniqueName } from "./names.ts";
import { serviceUrls } from "./urls.ts";

export interface TestDatabase {
  /** Connection URL of a database created for this suite alone. */
  readonly url: string;
  readonly name: string;
}

/**
 * Creates a fresh database for one suite on the resolved PostgreSQL and drops
 * it (forcing other sessions off) when the scope closes.
 */
export const testDatabase = (prefix = "t"): Effect.Effect<TestDatabase, never, Scope.Scope> => {
  const admin = serviceUrls().databaseUrl;
  const name = uniqueName(prefix);
  const withAdmin = <A>(f: (sql: postgres.Sql) => Promise<A>) =>
    Effect.promise(async () => {
      const sql = postgres(admin, { max: 1, onnotice: () => undefined });
      try {
        return await f(sql);
      } finally {
        await sql.end({ timeout: 5 });
      }
    });
  return Effect.acquireRelease(
    withAdmin((sql) => sql.unsafe(`CREATE DATABASE "${name}"`)).pipe(
      Effect.as({ url: replaceDatabase(admin, name), name })
    ),
    () => withAdmin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).pipe(Effect.asVoid)
  );
};

const replaceDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};
