import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { Effect, Option, Schema, Semaphore, type Scope } from "effect";
import { type RegistryError, toRegistryError } from "../errors.ts";
import { defaultMigrationsFolder } from "../migrations.ts";
import type { DatabaseOptions, RegistryDatabaseShape } from "../Services/RegistryDatabase.ts";
import { decodeFirst, makeUse, rowsOf } from "./shared.ts";

const Locked = Schema.Struct({ locked: Schema.Boolean });

/**
 * PostgreSQL's settings for the embedded server, on top of PGlite's own
 * (`startParams` replaces PGlite's defaults, so they are repeated). Measured
 * with tools/bench/footprint.ts (an orchestrator with 25 agents; docs/benchmarks.md):
 *
 * shared_buffers 4MB, not PostgreSQL's 128MB. PGlite keeps the buffer pool
 * in its WASM memory, the whole pool is touched as it is set up, and WASM
 * memory is never given back: resident WASM memory measured 151 MB with
 * 128MB, 29 MB with 16MB, 17 MB with 4MB. This alone took a restarted
 * orchestrator from 355 to 222 MB idle. The registry's hot pages (agents,
 * work, recent history) fit; the rest is read from DATA_DIR through the OS
 * page cache. work_mem, maintenance_work_mem, wal_buffers and temp_buffers
 * are taken as used, not up front: lowering them measured no change.
 */
const PGLITE_START_PARAMS: ReadonlyArray<string> = [...PGlite.defaultStartParams, "-c", "shared_buffers=4MB"];

/**
 * V8 compiles PGlite's WASM (9 MB) with Liftoff, its baseline compiler, and
 * by default recompiles the functions that run hot with TurboFan on
 * background threads, whose memory then stays in glibc's per-thread arenas
 * (~60 MB resident once a fleet has heartbeated for a minute). Liftoff
 * only: that memory is never taken (a restarted orchestrator: 355 to 307 MB
 * idle alone, 241 to 184 MB on top of 16MB buffers and initdb in a child
 * process); heartbeat-like
 * upserts measured as fast once warm, faster before TurboFan would have
 * finished, and initdb takes ~3.5 s instead of ~5 s. V8 reads the flag when
 * it compiles a WASM module, so it is set before PGlite compiles its own;
 * nothing else in the orchestrator compiles WASM.
 */
const WASM_FLAGS = "--liftoff-only";

/** Run by `node -e` in a child process: opens (so initialises) the data directory argv[2] with the PGlite at argv[1], and closes it. */
const INITDB_SCRIPT = `require(process.argv[1]).PGlite.create(process.argv[2]).then((pg) => pg.close()).catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});`;

/** The folder a PGlite `dataDir` names on this machine's file system; undefined for in-memory and browser ones. */
const nodeFolder = (dataDir: string): string | undefined =>
  dataDir === "memory" || dataDir.startsWith("memory://")
    ? undefined
    : dataDir.startsWith("file://")
      ? dataDir.slice("file://".length)
      : dataDir.includes("://")
        ? undefined
        : dataDir;

/**
 * Creates the database files in `folder` (PGlite's initdb) in a child
 * process, which then exits. Done in this process, initdb leaves ~450 MB
 * behind (a second PGlite instance, initdb's own WASM instance and a copy of
 * a WASM heap): garbage, but V8 collects it only at a full GC, which a
 * process with a small JS heap may not run for hours, and glibc keeps part
 * of it even then. A first start idled at ~830 MB (peak ~930 MB); with
 * this alone, ~395 MB, no higher than a restart on the same folder.
 */
const initdbInChildProcess = (folder: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const pglite = createRequire(import.meta.url).resolve("@electric-sql/pglite");
    execFile(process.execPath, [WASM_FLAGS, "-e", INITDB_SCRIPT, pglite, folder], { timeout: 300_000 }, (error, _stdout, stderr) =>
      error === null ? resolve() : reject(new Error(`initdb in ${folder} failed: ${stderr.trim() || error.message}`))
    );
  });

/** PGlite on `dataDir`, its files created first (in a child process) when the folder holds no database yet. */
const openPglite = async (dataDir: string): Promise<PGlite> => {
  const options = { startParams: [...PGLITE_START_PARAMS] };
  setFlagsFromString(WASM_FLAGS);
  if (dataDir === "memory") return PGlite.create(options);
  const folder = nodeFolder(dataDir);
  if (folder !== undefined && !existsSync(path.join(folder, "PG_VERSION"))) await initdbInChildProcess(folder);
  return PGlite.create(dataDir, options);
};

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
        try: () => openPglite(dataDir),
        catch: toRegistryError("open")
      }),
      (pg) => Effect.tryPromise(() => pg.close()).pipe(Effect.ignore)
    );
    const db = drizzle({ client });
    const use = makeUse(db);
    // In process: nothing to save by naming a statement.
    const executePrepared = (operation: string, statement: SQL) => use(operation, (d) => d.execute(statement)).pipe(Effect.map(rowsOf));
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
    return { driver: "pglite", db, use, executePrepared, migrate: migrateAll, withTryAdvisoryLock } satisfies RegistryDatabaseShape;
  });
