import { Effect, Layer } from "effect";
import { TestClock } from "effect/testing";
import { type AlertOp, AlertRegistry, RegistryError } from "@homelab/registry";
import { runTest } from "@homelab/testing";
import { NO_ALERT_CHANNELS } from "../src/alerts/AlertChannels.ts";
import { watchOutages } from "../src/alerts/AlertWorker.ts";
import { Readiness } from "../src/Readiness.ts";

/**
 * The outbox as the outage watcher sees it: it takes ops while the database
 * is "up" and refuses them while it is not (a test double of the registry's
 * write side; the real outbox has its own suite).
 */
const outbox = () => {
  const written: Array<AlertOp> = [];
  let databaseUp = true;
  let nextId = 1;
  const layer = Layer.succeed(AlertRegistry, {
    evaluate: () => Effect.die("not used"),
    claimDeliveries: () => Effect.die("not used"),
    recordDelivery: () => Effect.die("not used"),
    listAlerts: () => Effect.die("not used"),
    apply: (ops) =>
      databaseUp
        ? Effect.sync(() => {
            written.push(...ops);
            return { messages: ops.length, alertIds: ops.map(() => nextId++) };
          })
        : Effect.fail(new RegistryError({ operation: "applyAlerts", message: "the database is not reachable" }))
  });
  return { layer, written, setDatabase: (up: boolean) => (databaseUp = up) };
};

const ops = (written: ReadonlyArray<AlertOp>) => written.map((o) => (o.op === "open" ? `open ${o.kind}` : o.op === "close" ? `close: ${String(o.message?.["summary"])}` : o.op));

describe("the orchestrator's own outages (TestClock)", () => {
  it("alerts a broker away for longer than the threshold at once, and its return; a short blip says nothing", async () => {
    const box = outbox();
    const written = await runTest(
      Effect.gen(function* () {
        const readiness = yield* Readiness;
        const tick = yield* watchOutages({ ...NO_ALERT_CHANNELS, outageSeconds: 60 });
        yield* readiness.set("database", true);
        yield* readiness.set("broker", false, "connection lost");
        yield* tick;
        yield* TestClock.adjust("30 seconds");
        yield* readiness.set("broker", true);
        yield* tick; // a 30 s blip: nothing
        yield* readiness.set("broker", false, "connection lost");
        yield* tick;
        yield* TestClock.adjust("59 seconds");
        yield* tick;
        const before = box.written.length;
        yield* TestClock.adjust("1 second");
        yield* tick;
        yield* tick;
        yield* TestClock.adjust("2 minutes");
        yield* readiness.set("broker", true);
        yield* tick;
        return { before, all: ops(box.written) };
      }).pipe(Effect.provide(Layer.merge(Readiness.layer, box.layer)))
    );
    expect(written.before).toBe(0);
    expect(written.all).toEqual(["open orchestrator_broker", expect.stringMatching(/^close: orchestrator@.+ has its broker back$/)]);
  });

  it("writes a database outage and its recovery once the database is back to take them", async () => {
    const box = outbox();
    const written = await runTest(
      Effect.gen(function* () {
        const readiness = yield* Readiness;
        const tick = yield* watchOutages({ ...NO_ALERT_CHANNELS, outageSeconds: 60 });
        yield* readiness.set("broker", true);
        yield* readiness.set("database", false, "connection refused");
        box.setDatabase(false);
        yield* tick;
        yield* TestClock.adjust("3 minutes");
        yield* tick; // past the threshold, but nowhere to write it
        const whileDown = box.written.length;
        box.setDatabase(true);
        yield* readiness.set("database", true);
        yield* tick;
        return { whileDown, all: ops(box.written) };
      }).pipe(Effect.provide(Layer.merge(Readiness.layer, box.layer)))
    );
    expect(written.whileDown).toBe(0);
    expect(written.all).toEqual(["open orchestrator_database", expect.stringMatching(/has its database back$/)]);
  });
});
