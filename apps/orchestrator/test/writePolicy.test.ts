import { Effect, Fiber } from "effect";
import { TestClock } from "effect/testing";
import { RegistryError } from "@homelab/registry";
import { runTest } from "@homelab/testing";
import { makeWritePolicy, writeBisecting, type WriteOutcome } from "../src/WritePolicy.ts";

const failure = (code: string) =>
  new RegistryError({ operation: "applyHeartbeats", message: `applyHeartbeats: failed with ${code}`, cause: Object.assign(new Error(code), { code }) });

/** A write that fails with `codes` in turn, then succeeds; counts its calls. */
const scripted = (codes: ReadonlyArray<string>) => {
  let calls = 0;
  const write = Effect.suspend(() => {
    const code = codes[calls];
    calls++;
    return code === undefined ? Effect.succeed("written") : Effect.fail(failure(code));
  });
  return { write, calls: () => calls };
};

/** A database whose ping answers as `up()` says; records what ingest reported. */
const database = (up: () => boolean) => {
  const reported: Array<boolean> = [];
  return {
    reported,
    options: {
      ping: Effect.suspend(() => (up() ? Effect.void : Effect.fail(failure("ECONNREFUSED")))),
      databaseUp: (isUp: boolean) => Effect.sync(() => void reported.push(isUp))
    }
  };
};

/** Runs `effect` forked and drives the TestClock a minute ahead, a second at a time. */
const driven = <A>(effect: Effect.Effect<A>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(effect);
    for (let s = 0; s < 60; s++) yield* TestClock.adjust("1 second");
    return yield* Fiber.join(fiber);
  });

describe("WritePolicy (TestClock)", () => {
  it("refuses data the database refuses (22P05) at once as unstorable, without a retry or reporting the database down", async () => {
    const db = database(() => true);
    const op = scripted(["22P05", "22P05"]);
    const outcome = await runTest(driven(makeWritePolicy(db.options)(op.write)));
    expect(outcome).toEqual({ _tag: "Refused", reason: "unstorable", detail: "applyHeartbeats: failed with 22P05" });
    expect(op.calls()).toBe(1);
    expect(db.reported).toEqual([]);
  });

  it("retries while the database is unreachable (the ping fails), however long, reporting it down, then writes", async () => {
    let up = false;
    const db = database(() => up);
    const op = scripted(Array.from({ length: 12 }, () => "ECONNREFUSED"));
    const outcome = await runTest(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(makeWritePolicy(db.options)(op.write));
        for (let s = 0; s < 60; s++) yield* TestClock.adjust("1 second");
        const callsWhileDown = op.calls();
        up = true;
        for (let s = 0; s < 60; s++) yield* TestClock.adjust("1 second");
        return { outcome: yield* Fiber.join(fiber), callsWhileDown };
      })
    );
    expect(outcome.outcome).toEqual({ _tag: "Written", value: "written" });
    // 100 ms doubling to 5 s: about 16 tries in the first minute, none counted against the limit.
    expect(outcome.callsWhileDown).toBeGreaterThan(5);
    expect(db.reported.filter((u) => !u).length).toBeGreaterThan(5);
    expect(db.reported[db.reported.length - 1]).toBe(true);
  });

  it("gives up on a failure the reachable database keeps answering (42P01) after 5 attempts: write_failed", async () => {
    const db = database(() => true);
    const op = scripted(Array.from({ length: 100 }, () => "42P01"));
    const outcome = await runTest(driven(makeWritePolicy(db.options)(op.write)));
    expect(outcome).toEqual({ _tag: "Refused", reason: "write_failed", detail: "applyHeartbeats: failed with 42P01 (gave up after 5 attempts)" });
    expect(op.calls()).toBe(5);
    expect(db.reported).toEqual([]);
  });

  it("writes after a transient failure the database recovers from within the attempts (a stale connection)", async () => {
    const db = database(() => true);
    const op = scripted(["CONNECTION_CLOSED", "ECONNRESET"]);
    const outcome = await runTest(driven(makeWritePolicy(db.options)(op.write)));
    expect(outcome).toEqual({ _tag: "Written", value: "written" });
    expect(op.calls()).toBe(3);
  });
});

describe("writeBisecting", () => {
  /** Refuses any write holding a bad item, as the database refuses a statement; records each write. */
  const database = (bad: ReadonlySet<number>) => {
    const writes: Array<ReadonlyArray<number>> = [];
    const written: Array<number> = [];
    const write = (items: ReadonlyArray<number>): Effect.Effect<WriteOutcome<unknown>> =>
      Effect.sync(() => {
        writes.push(items);
        const culprit = items.find((i) => bad.has(i));
        if (culprit !== undefined) return { _tag: "Refused", reason: "unstorable", detail: `bad value in ${culprit}` };
        written.push(...items);
        return { _tag: "Written", value: undefined };
      });
    return { write, writes, written };
  };
  const items = Array.from({ length: 500 }, (_, i) => i);

  it("writes a clean batch once", async () => {
    const db = database(new Set());
    const refusals = await runTest(writeBisecting(items, db.write));
    expect(refusals.every((r) => r === undefined)).toBe(true);
    expect(db.writes).toHaveLength(1);
  });

  it.each([[[137]], [[0, 499]], [[3, 4, 250, 251, 498]]])(
    "refuses exactly the culprits %j and writes every other item exactly once, in order",
    async (culprits) => {
      const bad = new Set(culprits);
      const db = database(bad);
      const refusals = await runTest(writeBisecting(items, db.write));
      const refused = items.filter((_, i) => refusals[i] !== undefined);
      expect(refused).toEqual(culprits);
      expect(refusals[culprits[0]!]).toEqual({ reason: "unstorable", detail: `bad value in ${culprits[0]}` });
      expect(db.written).toEqual(items.filter((i) => !bad.has(i)));
      // Bounded: about 2 writes per level of halving for each culprit.
      expect(db.writes.length).toBeLessThanOrEqual(1 + 2 * culprits.length * Math.ceil(Math.log2(items.length)));
    }
  );

  it("does not split a batch refused for another reason than its data (write_failed): every item gets that refusal", async () => {
    const writes: Array<ReadonlyArray<number>> = [];
    const refusals = await runTest(
      writeBisecting([1, 2, 3, 4], (batch) =>
        Effect.sync((): WriteOutcome<unknown> => {
          writes.push(batch);
          return { _tag: "Refused", reason: "write_failed", detail: "disk full (gave up after 5 attempts)" };
        })
      )
    );
    expect(writes).toHaveLength(1);
    expect(refusals).toEqual(Array.from({ length: 4 }, () => ({ reason: "write_failed", detail: "disk full (gave up after 5 attempts)" })));
  });
});
