// The offline sweep's rules with a TestClock for the orchestrator's own time
// (start-up grace) and the real PostgreSQL for heartbeat age (the database
// clock decides staleness, so ages are set in the database, never waited out).
import { Clock, Effect, Layer, Option, Redacted, type Scope } from "effect";
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
  }) => Effect.Effect<A, unknown, AgentRegistry | Scope.Scope>
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

// The loop (`run`) on a TestClock: the registry's deadlines are by the real
// database clock, so before each wake the test sets every agent's heartbeat
// age as it is at that moment, moves the TestClock to the loop's next check,
// and waits until the loop has stepped and armed again.
describe("offline sweep at each agent's deadline", () => {
  type Sweep = Effect.Success<ReturnType<typeof makeSweep>>;

  /** The loop's next check once it is later than `after` (it re-arms after each step). */
  const nextArm = (sweep: Sweep, after: number) =>
    Effect.gen(function* () {
      for (let i = 0; i < 2000; i++) {
        const next = yield* sweep.nextCheck;
        if (Option.isSome(next) && next.value > after) return next.value;
        yield* TestClock.withLive(Effect.sleep("5 millis"));
      }
      return yield* Effect.die(new Error(`the sweep loop did not arm after ${after} ms`));
    });

  /** A loop on timeout 90 s, interval 30 s, started at time 0; `wake(at, ages)` runs it at `at` with those heartbeat ages (s) and answers its next check. */
  const loop = (
    age: (agentId: string, seconds: number) => Effect.Effect<void>,
    extra: { readonly listeningSince?: Effect.Effect<Option.Option<number>> } = {}
  ) =>
    Effect.gen(function* () {
      const marks: Array<readonly [string, number]> = [];
      const sweep = yield* makeSweep({
        heartbeatTimeoutSeconds: 90,
        sweepIntervalSeconds: 30,
        wentOffline: (ts) => Effect.map(Clock.currentTimeMillis, (now) => void marks.push(...ts.map((t) => [t.agent_id, now] as const))),
        listeningSince: extra.listeningSince ?? listeningSince
      });
      yield* Effect.forkScoped(sweep.run);
      const first = yield* nextArm(sweep, -1);
      const wake = (at: number, ages: Readonly<Record<string, number>>) =>
        Effect.gen(function* () {
          for (const [id, seconds] of Object.entries(ages)) yield* age(id, seconds);
          yield* TestClock.setTime(at);
          return yield* nextArm(sweep, at);
        });
      return { sweep, marks, first, wake };
    });

  /** `actual` is `expected` less the few real milliseconds between setting ages and reading the deadline. */
  const near = (actual: number, expected: number) => {
    expect(actual).toBeLessThanOrEqual(expected);
    expect(actual).toBeGreaterThan(expected - 250);
  };

  it("marks an agent offline at its deadline between two sweeps, not at the next sweep", async () => {
    const seen = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        const { marks, first, wake } = yield* loop(age);
        // After the grace: a last heard 50 s ago, its deadline beyond the interval: the interval it is.
        const second = yield* wake(first, { a: 50, b: 0, c: 0 });
        // At the next sweep a is 80 s silent: the loop arms at its deadline, 10 s (and the margin) later.
        const third = yield* wake(second, { a: 80, b: 0, c: 0 });
        const marksBefore = [...marks];
        const fourth = yield* wake(third, { a: 90.1, b: 0, c: 0 });
        return { arms: [first, second, third, fourth], marksBefore, marks, a: yield* registry.getAgent("a") };
      })
    );
    const [first, second, third, fourth] = seen.arms as [number, number, number, number];
    expect([first, second]).toEqual([90_000, 120_000]);
    near(third, 130_100);
    expect(seen.marksBefore).toEqual([]);
    expect(seen.marks).toEqual([["a", third]]);
    expect(third).toBeLessThan(150_000);
    expect(Option.map(seen.a, (a) => a.status)).toEqual(Option.some("offline"));
    // b and c heartbeat on: the next check is the backstop, one interval on.
    expect(fourth).toBe(third + 30_000);
  });

  it("re-arms at the new deadline when a heartbeat moves it", async () => {
    const seen = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        const { marks, first, wake } = yield* loop(age);
        const armed = yield* wake(first, { a: 80, b: 0, c: 0 });
        // a heartbeats 2 s before that deadline: nobody is due when the loop wakes.
        const afterBeat = yield* wake(armed, { a: 2, b: 10.1, c: 10.1 });
        const marksAfterBeat = [...marks];
        const backstop = yield* wake(afterBeat, { a: 32, b: 0, c: 0 });
        const newDeadline = yield* wake(backstop, { a: 62, b: 0, c: 0 });
        const marksBefore = [...marks];
        yield* wake(newDeadline, { a: 90.1, b: 0, c: 0 });
        return { armed, afterBeat, backstop, newDeadline, marksAfterBeat, marksBefore, marks };
      })
    );
    near(seen.armed, 100_100);
    expect(seen.marksAfterBeat).toEqual([]);
    expect(seen.afterBeat).toBe(seen.armed + 30_000);
    expect(seen.backstop).toBe(seen.afterBeat + 30_000);
    // The heartbeat at armed - 2 s: its deadline 90 s (and the margin) after it.
    near(seen.newDeadline, seen.armed - 2000 + 90_000 + 100);
    expect(seen.marksBefore).toEqual([]);
    expect(seen.marks).toEqual([["a", seen.newDeadline]]);
  });

  it("marks nobody during the grace, nor while deaf, and takes a long-silent agent offline the moment the grace ends", async () => {
    const seen = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        const readiness = yield* Readiness;
        yield* readiness.set("database", true);
        yield* readiness.set("broker", true);
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        yield* age("a", 500);
        const { marks, first, wake } = yield* loop(age, { listeningSince: readiness.readySince });
        yield* readiness.set("broker", false, "connection lost");
        // Deaf at the grace's end: the loop looks again one interval later.
        const deaf = yield* wake(first, { a: 590, b: 0, c: 0 });
        yield* TestClock.setTime(100_000);
        yield* readiness.set("broker", true);
        // Back at 100 s: a new grace, until 190 s.
        const grace = yield* wake(deaf, { a: 610, b: 0, c: 0 });
        const marksBefore = [...marks];
        yield* wake(grace, { a: 680, b: 0, c: 0 });
        return { arms: [first, deaf, grace], marksBefore, marks };
      }).pipe(Effect.provide(Readiness.layer))
    );
    expect(seen.arms).toEqual([90_000, 120_000, 190_000]);
    expect(seen.marksBefore).toEqual([]);
    expect(seen.marks).toEqual([["a", 190_000]]);
  });

  it("holds a would-be mass offline found at a deadline until the check one interval later confirms it", async () => {
    const seen = await withRegistry(({ age }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        const { marks, first, wake } = yield* loop(age);
        const deadline = yield* wake(first, { a: 80, b: 80, c: 0 });
        const confirm = yield* wake(deadline, { a: 90.1, b: 90.1, c: 10.1 });
        const marksHeld = [...marks];
        const online = yield* registry.countOnline;
        yield* wake(confirm, { a: 120.1, b: 120.1, c: 0 });
        return { deadline, confirm, marksHeld, online, marks };
      })
    );
    near(seen.deadline, 100_100);
    expect(seen.marksHeld).toEqual([]);
    expect(seen.online).toBe(3);
    expect(seen.confirm).toBe(seen.deadline + 30_000);
    expect(seen.marks).toEqual([
      ["a", seen.confirm],
      ["b", seen.confirm]
    ]);
  });

  it("does not sweep at a deadline while another orchestrator holds the sweep lock, and looks again a moment later", async () => {
    const seen = await withRegistry(({ age, sql }) =>
      Effect.gen(function* () {
        const registry = yield* AgentRegistry;
        yield* registry.applyHeartbeats(["a", "b", "c"].map(heartbeat));
        const { marks, first, wake } = yield* loop(age);
        const deadline = yield* wake(first, { a: 80, b: 0, c: 0 });
        const other = yield* Effect.promise(() => sql.reserve());
        yield* Effect.promise(() => other`select pg_advisory_lock(${SWEEP_LOCK_KEY})`);
        const again = yield* wake(deadline, { a: 90.1, b: 0, c: 0 });
        const marksWhileHeld = [...marks];
        yield* Effect.promise(() => other`select pg_advisory_unlock(${SWEEP_LOCK_KEY})`);
        other.release();
        yield* wake(again, { a: 90.2, b: 0, c: 0 });
        return { deadline, again, marksWhileHeld, marks };
      })
    );
    near(seen.deadline, 100_100);
    expect(seen.marksWhileHeld).toEqual([]);
    // a is past its deadline: the margin, not the interval.
    expect(seen.again).toBe(seen.deadline + 100);
    expect(seen.marks).toEqual([["a", seen.again]]);
  });
});
