import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { Effect, Option, Schema } from "effect";
import { AgentRegistry, defaultMigrationsFolder, RegistryDatabase } from "../../src/index.ts";
import { heartbeat, query } from "../fixtures.ts";
import type { Run } from "./run.ts";

/** How many migrations drizzle-kit has written (its journal lists each once). */
const MIGRATIONS: number = (
  JSON.parse(readFileSync(path.join(defaultMigrationsFolder(), "meta", "_journal.json"), "utf8")) as { entries: Array<unknown> }
).entries.length;

export const migrationAndLockTests = (run: Run): void =>
  describe("migrations and the sweep lock", () => {
    it("applying the migrations again changes nothing", async () => {
      const MigrationCount = Schema.Struct({ n: Schema.Finite });
      const { before, after, agent } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const database = yield* RegistryDatabase;
          yield* r.applyHeartbeats([heartbeat("kept")]);
          const count = query(sql`select count(*)::int as n from drizzle.__drizzle_migrations`, MigrationCount);
          const before = yield* count;
          yield* database.migrate;
          yield* database.migrate;
          return { before, after: yield* count, agent: yield* r.getAgent("kept") };
        })
      );
      expect(before).toEqual([{ n: MIGRATIONS }]);
      expect(after).toEqual([{ n: MIGRATIONS }]);
      expect(Option.isSome(agent)).toBe(true);
    });

    it("runs the sweep under the lock and releases it afterwards", async () => {
      const [first, second] = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          return [yield* r.withSweepLock(Effect.succeed("first")), yield* r.withSweepLock(Effect.succeed("second"))];
        })
      );
      expect(first).toEqual(Option.some("first"));
      expect(second).toEqual(Option.some("second"));
    });

    it("answers None to a second sweep while the first holds the lock, and releases it after a failure", async () => {
      const { nested, failed, after } = await run(
        Effect.gen(function* () {
          const r = yield* AgentRegistry;
          const nested = yield* r.withSweepLock(r.withSweepLock(Effect.succeed("inner")));
          const failed = yield* r.withSweepLock(Effect.fail("sweep failed")).pipe(Effect.flip);
          const after = yield* r.withSweepLock(Effect.succeed("after"));
          return { nested, failed, after };
        })
      );
      expect(nested).toEqual(Option.some(Option.none()));
      expect(failed).toBe("sweep failed");
      expect(after).toEqual(Option.some("after"));
    });
  });
