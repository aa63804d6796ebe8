import { Context, Effect, Fiber, Layer, Option, Redacted } from "effect";
import { TestClock } from "effect/testing";
import { PgDialect } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { runLive, runTest, startTcpProxy, testDatabase } from "@homelab/testing";
import { AgentRegistry, AgentRegistryLive, postgresDatabase, registryLayer, SWEEP_LOCK_KEY, WorkRegistry } from "../src/index.ts";
import { applyStatement } from "../src/repository/heartbeats.ts";
import { heartbeat, storedTransitions } from "./fixtures.ts";
import { describeRepository } from "./repositorySuite.ts";

/** A plain connection of the test's own, as another orchestrator would have. */
const withConnection = <A>(url: string, f: (sql: postgres.Sql) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => postgres(url, { max: 1, onnotice: () => undefined })),
    (sql) => Effect.promise(() => f(sql)),
    (sql) => Effect.promise(() => sql.end({ timeout: 5 }))
  );

/** Another orchestrator's registry on the same database: its own pool, migrations applied again on start. */
const secondOrchestrator = (url: Redacted.Redacted<string>) =>
  Layer.build(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(url)))).pipe(Effect.map(Context.get(AgentRegistry)));

describeRepository(
  "PostgreSQL",
  Effect.gen(function* () {
    const database = yield* testDatabase("registry");
    const url = Redacted.make(database.url);
    return {
      layer: registryLayer(postgresDatabase(url)),
      extra: { url }
    };
  }),
  (suite) => {
    describe("at start-up", () => {
      it("waits for a database server that is not reachable yet instead of failing, and starts once it is", async () => {
        const url = new URL(Redacted.value(suite.extra().url));
        const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
        try {
          proxy.cut();
          const outcome = await runTest(
            Effect.gen(function* () {
              const starting = yield* Effect.forkChild(
                Layer.build(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(proxy.url(url.toString())))))).pipe(
                  Effect.flatMap((context) => Context.get(context, AgentRegistry).countOnline),
                  Effect.scoped
                )
              );
              // Two refused attempts, 2 s apart by the test clock: still starting, not failed.
              yield* Effect.promise(() => proxy.waitFor(() => proxy.refusedTotal() >= 1, 10_000));
              yield* TestClock.adjust("2 seconds");
              yield* Effect.promise(() => proxy.waitFor(() => proxy.refusedTotal() >= 2, 10_000));
              const whileDown = starting.pollUnsafe();
              yield* Effect.promise(() => proxy.restore());
              yield* TestClock.adjust("2 seconds");
              const online = yield* Fiber.join(starting);
              return { whileDown, online };
            })
          );
          expect(outcome.whileDown).toBeUndefined();
          expect(typeof outcome.online).toBe("number");
        } finally {
          await proxy.close();
        }
      });

      it("stops at once, saying why, when the database does not exist", async () => {
        const url = new URL(Redacted.value(suite.extra().url));
        url.pathname = "/no_such_database_here";
        const failure = await runLive(
          Layer.build(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(url.toString()))))).pipe(Effect.flip, Effect.scoped)
        );
        expect(failure.message).toMatch(/database "no_such_database_here" does not exist/);
      });
    });

    describe("with another orchestrator on the same database", () => {
      it("starts a second registry on the database (migrations applied twice) and sees the same agents", async () => {
        const seen = await suite.run(
          Effect.gen(function* () {
            const first = yield* AgentRegistry;
            yield* first.applyHeartbeats([heartbeat("shared")]);
            const second = yield* secondOrchestrator(suite.extra().url);
            return yield* second.getAgent("shared");
          })
        );
        expect(Option.map(seen, (a) => a.agent_id)).toEqual(Option.some("shared"));
      });

      it("answers None to withSweepLock while another connection holds the sweep lock", async () => {
        const url = Redacted.value(suite.extra().url);
        const { whileHeld, afterRelease } = await suite.run(
          Effect.gen(function* () {
            const r = yield* AgentRegistry;
            return yield* withConnection(url, async (other) => {
              await other`select pg_advisory_lock(${SWEEP_LOCK_KEY}::bigint)`;
              const whileHeld = await runLive(r.withSweepLock(Effect.succeed("swept")));
              await other`select pg_advisory_unlock(${SWEEP_LOCK_KEY}::bigint)`;
              const afterRelease = await runLive(r.withSweepLock(Effect.succeed("swept")));
              return { whileHeld, afterRelease };
            });
          })
        );
        expect(whileHeld).toEqual(Option.none());
        expect(afterRelease).toEqual(Option.some("swept"));
      });

      it("records each transition once when two orchestrators apply overlapping batches at the same time", async () => {
        const ids = Array.from({ length: 200 }, (_, i) => `twin-${String(i).padStart(3, "0")}`);
        const batch = (seq: number) => ids.map((id) => heartbeat(id, { seq }));
        const rounds = 3;
        const outcome = await suite.run(
          Effect.gen(function* () {
            const a = yield* AgentRegistry;
            const b = yield* secondOrchestrator(suite.extra().url);
            // b's heartbeats are newer than a's, in the opposite order: whichever
            // commits second still writes, and must see the row as the first left it.
            const both = (seq: number) =>
              Effect.all([a.applyHeartbeats(batch(seq)), b.applyHeartbeats(batch(seq + 1).reverse())], {
                concurrency: 2
              });
            const results = [yield* both(1)];
            for (let round = 1; round <= rounds; round++) {
              yield* a.markOffline(ids, "no heartbeat for over 90 s");
              results.push(yield* both(2 * round + 1));
            }
            return {
              results,
              stored: yield* storedTransitions,
              online: yield* a.countOnline,
              seqs: (yield* a.listAgents({})).map((agent) => agent.last_seq)
            };
          })
        );
        for (const pair of outcome.results) {
          expect(pair.reduce((n, r) => n + r.transitions.length, 0)).toBe(ids.length);
        }
        const count = (from: string | null, to: string) =>
          outcome.stored.filter((t) => t.from_status === from && t.to_status === to).length;
        expect([count(null, "online"), count("online", "offline"), count("offline", "online")]).toEqual([
          ids.length,
          rounds * ids.length,
          rounds * ids.length
        ]);
        expect(outcome.online).toBe(ids.length);
        expect(new Set(outcome.seqs)).toEqual(new Set([2 * rounds + 2]));
      });
    });

    describe("the heartbeat write as a prepared statement", () => {
      // A SQL literal of one bound parameter, for EXPLAIN EXECUTE (which takes no parameters of its own).
      const literal = (value: unknown): string => {
        if (typeof value === "number") return String(value);
        if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
        throw new Error(`unexpected parameter ${JSON.stringify(value)}`);
      };

      it("has a cached generic plan that probes indexes per agent: no scan of the whole registry, no read of a whole minute of history", async () => {
        const url = Redacted.value(suite.extra().url);
        const plan = await suite.run(
          Effect.gen(function* () {
            const registry = yield* AgentRegistry;
            // A fleet with this minute's samples written, as after a minute of heartbeats; no ANALYZE, as without autovacuum.
            const fleet = Array.from({ length: 1000 }, (_, i) => heartbeat(`plan-${String(i).padStart(4, "0")}`));
            yield* registry.applyHeartbeats(fleet.slice(0, 500));
            yield* registry.applyHeartbeats(fleet.slice(500));
            const query = new PgDialect().sqlToQuery(applyStatement(fleet.slice(0, 3), 90, true));
            return yield* withConnection(url, async (sql) => {
              // What PostgreSQL caches for a prepared statement after its first executions.
              await sql.unsafe("set plan_cache_mode = force_generic_plan");
              await sql.unsafe(`prepare heartbeat_write as ${query.sql}`);
              const rows = await sql.unsafe(`explain execute heartbeat_write(${query.params.map(literal).join(", ")})`);
              return rows.map((row) => String(row["QUERY PLAN"])).join("\n");
            });
          })
        );
        expect(plan).not.toMatch(/Seq Scan on agent_registry/);
        expect(plan).not.toMatch(/agent_history_minute_idx|Seq Scan on agent_history/);
        expect(plan).toMatch(/agent_registry_pkey/);
        expect(plan).toMatch(/agent_history_agent_id_minute_pk/);
      });
    });
  }
);
