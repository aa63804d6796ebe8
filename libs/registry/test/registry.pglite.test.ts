import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { Effect, Layer, Schema } from "effect";
import { runLive } from "@homelab/testing";
import { pgliteDatabase, RegistryDatabase, registryLayer } from "../src/index.ts";
import { query } from "./fixtures.ts";
import { describeRepository } from "./repositorySuite.ts";

const SharedBuffers = Schema.Struct({ shared_buffers: Schema.String });
const Count = Schema.Struct({ n: Schema.Finite });

// One in-memory PGlite for the whole file (~3 s each).
describeRepository(
  "PGlite",
  Effect.succeed({
    layer: registryLayer(pgliteDatabase("memory")),
    extra: undefined
  }),
  (suite) => {
    describe("PGlite's settings", () => {
      it("keeps a 4MB shared buffer pool (in WASM memory, which never shrinks), not PostgreSQL's 128MB", async () => {
        expect(await suite.run(query(sql`show shared_buffers`, SharedBuffers))).toEqual([{ shared_buffers: "4MB" }]);
      });
    });
  }
);

/** Opens the registry's PGlite in `folder`, runs `use` on it, closes it. */
const withFolder = <A>(folder: string, use: Effect.Effect<A, unknown, RegistryDatabase>) =>
  runLive(
    Effect.scoped(
      Effect.gen(function* () {
        const context = yield* Layer.build(pgliteDatabase(folder));
        return yield* Effect.provide(use, context);
      })
    )
  );

describe("PGlite in a data folder", () => {
  let parent: string | undefined;
  afterAll(async () => {
    if (parent !== undefined) await rm(parent, { recursive: true, force: true });
  });

  it("creates the database in a child process (initdb's garbage never enters this one), keeps it, and opens it again", async () => {
    parent = await mkdtemp(path.join(tmpdir(), "registry-pglite-"));
    const folder = path.join(parent, "data"); // not there yet
    const externalBefore = process.memoryUsage().external;
    const first = await withFolder(
      folder,
      Effect.gen(function* () {
        // What this process holds with the database open: its one WASM instance, not initdb's too.
        const externalGrowth = process.memoryUsage().external - externalBefore;
        const database = yield* RegistryDatabase;
        yield* database.use("test", (db) => db.execute(sql`create table kept (x int)`));
        yield* database.use("test", (db) => db.execute(sql`insert into kept values (42)`));
        return { externalGrowth, buffers: yield* query(sql`show shared_buffers`, SharedBuffers) };
      })
    );
    expect(existsSync(path.join(folder, "PG_VERSION"))).toBe(true);
    expect(first.buffers).toEqual([{ shared_buffers: "4MB" }]);
    // One PGlite: its 128 MiB WASM memory and a few MB of files (measured ~140 MB).
    // Initdb in this process: ~630 MB (two more WASM instances and a copy of a heap).
    expect(first.externalGrowth / 2 ** 20).toBeLessThan(300);

    const again = await withFolder(
      folder,
      Effect.all({
        kept: query(sql`select x as n from kept`, Count),
        migrations: query(sql`select count(*)::int as n from drizzle.__drizzle_migrations`, Count)
      })
    );
    expect(again.kept).toEqual([{ n: 42 }]);
    expect(again.migrations[0]?.n).toBeGreaterThan(0);
  }, 180_000);

  it("fails to open, naming the folder, where the database cannot be created", async () => {
    parent ??= await mkdtemp(path.join(tmpdir(), "registry-pglite-"));
    const file = path.join(parent, "a-file");
    await writeFile(file, "");
    const folder = path.join(file, "data"); // under a file: cannot be created
    const error = await runLive(Effect.flip(Effect.scoped(Layer.build(pgliteDatabase(folder)))));
    expect(error).toMatchObject({ _tag: "RegistryError", operation: "open" });
    expect(error.message).toContain(folder);
  }, 60_000);
});
