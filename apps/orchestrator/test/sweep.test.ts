// The offline sweep's rules with a TestClock for the orchestrator's own time
// (start-up grace) and the real PostgreSQL for heartbeat age (the database
// clock decides staleness, so ages are set in the database, never waited out).
import { Effect, Layer, Option, Redacted } from "effect";
import { TestClock } from "effect/testing";
import postgres from "postgres";
import type { StatusUpdate } from "@homelab/protocol";
import { AgentRegistry, AgentRegistryLive, postgresDatabase, SWEEP_LOCK_KEY } from "@homelab/registry";
import { runTest, testDatabase, heartbeat as wireHeartbeat } from "@homelab/testing";
import { makeSweep, type SweepOutcome } from "../src/OfflineSweep.ts";
import { Readiness } from "../src/Readiness.ts";

/** Broker and database up since the TestClock's start (time 0). */
const listeningSince = Effect.succeed(Option.some(0));

const BOOT = "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f";
const heartbeat = (agentId: string): StatusUpdate => wireHeartbeat({ agentId, bootId: BOOT, seq: 0 }).payload;

/** Runs `body` with a registry on a fresh database; `age(id, s)` sets an agent's last heartbeat s seconds back. */
const withRegistry = <A>(
  body: (tools: {
    readonly age: (agentId: string, seconds: number) => Effect.Effect<void>;
    readonly sql: postgres.Sql;
  }) => Effect.Effect<A, unknown, AgentRegistry>
) =>
  runTest(
    Effect.gen(function* () {
      const db = yield* testDatabase("sweep");
      const sql = yield* Effect.acquireRelease(
        Effect.sync(() => postgres(db.url, { max: 2, onnotice: () => undefined })),
        (s) => Effect.promise(() => s.end({ timeout: 5 }))
      );
      const age = (agentId: string, seconds: number) =>
        Effect.promise(
          () => sql`update agent_registry set last_heartbeat_at = now() - make_interval(secs => ${seconds}) where agent_id = ${agentId}`
        ).pipe(Effect.asVoid);
      return yield* body({ age, sql }).pipe(Effect.provide(Layer.orDie(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(db.url)))))));
    })
  );

const tags = (outcomes: ReadonlyArray<SweepOutcome>) =>
  outcomes.map((o) => (o._tag === "Marked" ? `Marked:${o.transitions.map((t) => t.agent_id).join(",")}` : o._tag === "Held" ? `Held:${o.stale.join(",")}` : o._tag));

describe("offline sweep", () => {
  it("marks nobody offline during the first timeout after the orchestrator starts", async () => {
    const outcomes = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        yield* age("a", 500);
        const sweep = yield* makeSweep({ heartbeatTimeoutSeconds: 90, sweepIntervalSeconds: 30, wentOffline: () => Effect.void, listeningSince });
        const atStart = yield* sweep.once;
        yield* TestClock.adjust("89 seconds");
        const justBefore = yield* sweep.once;
        yield* TestClock.adjust("1 second");
        const after = yield* sweep.once;
        return [atStart, justBefore, after];
      })
    );
    expect(tags(outcomes)).toEqual(["Grace", "Grace", "Marked:a"]);
  });

  it("takes an agent offline once its heartbeat is older than the timeout, not a second before", async () => {
    const seen = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        yield* registry.applyHeartbeats(["a", "b", "c", "d"].map(heartbeat));
        const sweep = yield* makeSweep({ heartbeatTimeoutSeconds: 90, sweepIntervalSeconds: 30, wentOffline: () => Effect.void, listeningSince });
        yield* TestClock.adjust("90 seconds");
        yield* age("a", 89);
        const before = yield* sweep.once;
        yield* age("a", 91);
        const after = yield* sweep.once;
        const record = yield* registry.getAgent("a");
        return { before, after, status: record._tag === "Some" ? record.value.status : "missing" };
      })
    );
    expect(tags([seen.before, seen.after])).toEqual(["Marked:", "Marked:a"]);
    expect(seen.status).toBe("offline");
  });

  it("holds a would-be mass offline until the next sweep confirms it", async () => {
    const outcomes = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        const offline: Array<string> = [];
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        const sweep = yield* makeSweep({
          heartbeatTimeoutSeconds: 90,
          sweepIntervalSeconds: 30,
          wentOffline: (ts) => Effect.sync(() => void offline.push(...ts.map((t) => t.agent_id))),
          listeningSince
        });
        yield* TestClock.adjust("90 seconds");
        yield* age("a", 200);
        yield* age("b", 200);
        const first = yield* sweep.once;
        const stillOnline = yield* registry.countOnline;
        const second = yield* sweep.once;
        return { outcomes: [first, second], stillOnline, offline };
      })
    );
    expect(tags(outcomes.outcomes)).toEqual(["Held:a,b", "Marked:a,b"]);
    expect(outcomes.stillOnline).toBe(3);
    expect(outcomes.offline).toEqual(["a", "b"]);
  });

  it("does not sweep while another orchestrator holds the sweep lock", async () => {
    const outcome = await withRegistry(({ age, sql }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        yield* registry.applyHeartbeats([heartbeat("a"), heartbeat("b"), heartbeat("c")]);
        yield* age("a", 200);
        const sweep = yield* makeSweep({ heartbeatTimeoutSeconds: 90, sweepIntervalSeconds: 30, wentOffline: () => Effect.void, listeningSince });
        yield* TestClock.adjust("90 seconds");
        const other = yield* Effect.promise(() => sql.reserve());
        yield* Effect.promise(() => other`select pg_advisory_lock(${SWEEP_LOCK_KEY})`);
        const whileHeld = yield* sweep.once;
        yield* Effect.promise(() => other`select pg_advisory_unlock(${SWEEP_LOCK_KEY})`);
        other.release();
        const afterRelease = yield* sweep.once;
        return [whileHeld, afterRelease];
      })
    );
    expect(tags(outcome)).toEqual(["NotLeader", "Marked:a"]);
  });

  it("marks nobody offline while the broker or the database is down, nor until one full timeout after both are back", async () => {
    const outcomes = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        const readiness = yield* Readiness;
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        yield* readiness.set("database", true);
        yield* readiness.set("broker", true);
        const sweep = yield* makeSweep({ heartbeatTimeoutSeconds: 90, sweepIntervalSeconds: 30, wentOffline: () => Effect.void, listeningSince: readiness.readySince });
        yield* TestClock.adjust("100 seconds");
        yield* readiness.set("broker", false, "connection lost");
        yield* age("a", 500);
        const brokerDown = yield* sweep.once;
        yield* TestClock.adjust("60 seconds");
        yield* readiness.set("broker", true);
        const justBack = yield* sweep.once;
        yield* TestClock.adjust("89 seconds");
        // The database blips inside the grace: its return starts the grace again.
        yield* readiness.set("database", false, "connection refused");
        const databaseDown = yield* sweep.once;
        yield* readiness.set("database", true);
        yield* TestClock.adjust("89 seconds");
        const stillGrace = yield* sweep.once;
        yield* TestClock.adjust("1 second");
        const after = yield* sweep.once;
        return [brokerDown, justBack, databaseDown, stillGrace, after];
      }).pipe(Effect.provide(Readiness.layer))
    );
    expect(tags(outcomes)).toEqual(["Deaf", "Grace", "Deaf", "Grace", "Marked:a"]);
  });
});
