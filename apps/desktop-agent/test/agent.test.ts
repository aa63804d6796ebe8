import { Clock, Effect, Exit, Fiber, Layer, Ref, Runtime } from "effect";
import { TestClock } from "effect/testing";
import type { GpuInventory, Message } from "@homelab/protocol";
import { runTest } from "@homelab/testing";
import { MetricsCollector } from "@homelab/metrics";
import { BrokerUnreachable, runAgent, type AgentOptions, type AgentStats } from "../src/Agent.ts";
import { makeTestBroker } from "./support/TestBroker.ts";
import { fakeTaskRunnerLayer } from "./support/fakeTaskRunner.ts";
import { fixedMetricsLayer } from "./support/fixedMetrics.ts";
import { agentOptions } from "./support/agentOptions.ts";

const options = (overrides: Partial<AgentOptions> = {}): AgentOptions =>
  agentOptions({
    tasks: {
      echo: { command: ["echo", "{message}"], timeout_seconds: 30, requires: {} },
      transcode: { command: ["ffmpeg", "-i", "{input}", "{output}"], timeout_seconds: 3600, requires: { min_vram_gb: 2 } }
    },
    ...overrides
  });

/** Starts the agent on a test broker and fixed metrics; the test drives the clock. */
const startAgent = (overrides: Partial<AgentOptions> = {}, metrics = fixedMetricsLayer()) =>
  Effect.gen(function* () {
    const broker = yield* makeTestBroker;
    const stats = yield* Ref.make<AgentStats>({ heartbeatsSent: 0, heartbeatsDropped: 0, connections: 0 });
    const fiber = yield* runAgent(options(overrides), stats).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(broker.layer, metrics, fakeTaskRunnerLayer)),
      Effect.forkChild
    );
    // Let the agent's fibers reach their first wait.
    yield* TestClock.adjust(0);
    return { broker: broker.control, stats, fiber };
  });

/** The heartbeats among published messages, with their payloads typed. */
const statusBeats = (published: ReadonlyArray<{ message: Message; at: number }>) =>
  published.flatMap((p) => (p.message.type === "work_status" ? [{ at: p.at, payload: p.message.payload }] : []));

const heartbeatTimes = (published: ReadonlyArray<{ message: { type: string }; at: number }>) =>
  published.filter((p) => p.message.type === "work_status").map((p) => p.at / 1000);

describe("heartbeat interval (TestClock)", () => {
  it("sends the first heartbeat at once, then at 30, 60 and 90 s", async () => {
    const times = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* TestClock.adjust("29 seconds");
        const before30 = heartbeatTimes(agent.broker.published());
        yield* TestClock.adjust("61 seconds");
        return { before30, all: heartbeatTimes(agent.broker.published()) };
      })
    );
    expect(times.before30).toEqual([0]);
    expect(times.all).toEqual([0, 30, 60, 90]);
  });

  it("respects a configured interval of 5 s", async () => {
    const times = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent({ heartbeat_interval_seconds: 5 });
        yield* TestClock.adjust("20 seconds");
        return heartbeatTimes(agent.broker.published());
      })
    );
    expect(times).toEqual([0, 5, 10, 15, 20]);
  });

  it("numbers heartbeats 0, 1, 2… under one boot_id and reports identity and capabilities", async () => {
    const messages = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* TestClock.adjust("60 seconds");
        return agent.broker.published().map((p) => p.message);
      })
    );
    const payloads = messages.flatMap((m) => (m.type === "work_status" ? [m.payload] : []));
    expect(payloads.map((p) => p.seq)).toEqual([0, 1, 2]);
    expect(new Set(payloads.map((p) => p.boot_id)).size).toBe(1);
    expect(payloads[0]).toMatchObject({
      agent_id: "desk-1",
      agent_type: "desktop",
      pool_name: "desktop_pool_1",
      status: "online",
      capabilities: ["echo", "transcode"],
      current_work: []
    });
    expect(messages[0]).toMatchObject({ type: "work_status", version: 1, sender: "desk-1", sent_at: "1970-01-01T00:00:00.000Z" });
  });
});

describe("reconnection (TestClock, no jitter)", () => {
  it("waits exactly 1, 2, 4, 8, 16, 32, 60, 60, 60 s between attempts and gives up after the 10th with exit code 69", async () => {
    const result = await runTest(
      Effect.gen(function* () {
        const broker = yield* makeTestBroker;
        broker.control.refuseConnects(100);
        const fiber = yield* runAgent(options()).pipe(
          Effect.scoped,
          Effect.provide(Layer.mergeAll(broker.layer, fixedMetricsLayer(), fakeTaskRunnerLayer)),
          Effect.forkChild
        );
        yield* TestClock.adjust("10 minutes");
        return { attempts: broker.control.attempts(), exit: yield* Fiber.await(fiber) };
      })
    );
    const seconds = result.attempts.map((t) => t / 1000);
    expect(seconds.slice(1).map((t, i) => t - (seconds[i] ?? 0))).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(result.attempts).toHaveLength(10);
    expect(Exit.isFailure(result.exit)).toBe(true);
    const error = Exit.isFailure(result.exit) ? result.exit.cause.reasons[0] : undefined;
    const failure = error?._tag === "Fail" ? error.error : undefined;
    expect(failure).toBeInstanceOf(BrokerUnreachable);
    expect(Runtime.getErrorExitCode(failure)).toBe(69);
    expect(failure?.message).toBe(
      "broker unreachable after 10 attempts (last: connect ECONNREFUSED 127.0.0.1:5672); exiting"
    );
  });

  it("connects on a later attempt and heartbeats at once after connecting", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const broker = yield* makeTestBroker;
        broker.control.refuseConnects(3);
        yield* runAgent(options()).pipe(
          Effect.scoped,
          Effect.provide(Layer.mergeAll(broker.layer, fixedMetricsLayer(), fakeTaskRunnerLayer)),
          Effect.forkChild
        );
        yield* TestClock.adjust("7 seconds");
        return { attempts: broker.control.attempts().map((t) => t / 1000), beats: heartbeatTimes(broker.control.published()) };
      })
    );
    expect(seen.attempts).toEqual([0, 1, 3, 7]);
    expect(seen.beats).toEqual([7]);
  });

  it("after a lost connection, reconnects and sends a heartbeat at once, keeping boot_id and seq", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* TestClock.adjust("40 seconds");
        yield* agent.broker.dropConnection();
        yield* TestClock.adjust(0);
        yield* TestClock.adjust("1 second");
        const published = statusBeats(agent.broker.published());
        return {
          attempts: agent.broker.attempts().map((t) => t / 1000),
          beats: published.map((p) => [p.at / 1000, p.payload.seq]),
          boots: new Set(published.map((p) => p.payload.boot_id)).size
        };
      })
    );
    // Reconnects at once after the drop (the first attempt of a new round has no delay).
    expect(seen.attempts).toEqual([0, 40]);
    expect(seen.beats).toEqual([
      [0, 0],
      [30, 1],
      [40, 2]
    ]);
    expect(seen.boots).toBe(1);
  });

  it("treats a failed heartbeat publish as a lost connection: counts it dropped, reconnects, keeps beating", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        agent.broker.failNextPublish();
        yield* TestClock.adjust("30 seconds");
        yield* TestClock.adjust("60 seconds");
        return {
          stats: yield* Ref.get(agent.stats),
          seqs: agent.broker.published().flatMap((p) => (p.message.type === "work_status" ? [p.message.payload.seq] : []))
        };
      })
    );
    expect(seen.stats).toEqual({ heartbeatsSent: 0 + seen.seqs.length, heartbeatsDropped: 1, connections: 2 });
    // seq 0 was dropped (never replayed); the reconnect's immediate beat is seq 1.
    expect(seen.seqs[0]).toBe(1);
    expect(seen.seqs.length).toBeGreaterThanOrEqual(3);
  });
});

describe("GPU inventory (TestClock)", () => {
  const inventoryAt = (now: number, driver: string): GpuInventory => ({
    backend: "nvidia",
    collected_at: new Date(now).toISOString(),
    driver_version: driver,
    cuda_version: "12.4",
    gpus: [{ index: 0, uuid: "GPU-1", name: "NVIDIA GeForce RTX 4090", pci_bus_id: "00000000:01:00.0", mig_mode: null, mig_devices: 0, ecc_mode: null, power_limit_w: 450 }]
  });
  /** Each collection answers the driver version next in line, so a test sees which collection a heartbeat carries. */
  const countingInventory = Effect.gen(function* () {
    const collections = yield* Ref.make(0);
    const inventory = Ref.getAndUpdate(collections, (n) => n + 1).pipe(
      Effect.flatMap((n) => Effect.map(Clock.currentTimeMillis, (now) => inventoryAt(now, `550.${n}`)))
    );
    return { collections, layer: fixedMetricsLayer({}, inventory) };
  });
  const inventories = (published: ReadonlyArray<{ message: Message; at: number }>) =>
    statusBeats(published).map((b) => [b.at / 1000, b.payload.gpu_inventory?.driver_version ?? null]);

  it("sends the inventory collected at start in the first heartbeat only, and a fresh one in the heartbeat after each 10-minute collection", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const counting = yield* countingInventory;
        const agent = yield* startAgent({ heartbeat_interval_seconds: 60 }, counting.layer);
        yield* TestClock.adjust("21 minutes");
        return { beats: inventories(agent.broker.published()), collections: yield* Ref.get(counting.collections) };
      })
    );
    expect(seen.collections).toBe(3);
    expect(seen.beats.filter(([, driver]) => driver !== null)).toEqual([[0, "550.0"], [600, "550.1"], [1200, "550.2"]]);
    expect(seen.beats).toHaveLength(22);
  });

  it("keeps an inventory whose heartbeat could not be published for the next heartbeat", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const counting = yield* countingInventory;
        const agent = yield* startAgent({}, counting.layer);
        agent.broker.failNextPublish();
        yield* TestClock.adjust("30 seconds");
        yield* TestClock.adjust("60 seconds");
        return { beats: inventories(agent.broker.published()), stats: yield* Ref.get(agent.stats) };
      })
    );
    // seq 0 (carrying it) was dropped; the reconnect's first heartbeat carries it instead, and later ones do not.
    expect(seen.stats.heartbeatsDropped).toBe(1);
    expect(seen.beats[0]).toEqual([expect.any(Number), "550.0"]);
    expect(seen.beats.length).toBeGreaterThanOrEqual(3);
    expect(seen.beats.slice(1).every(([, driver]) => driver === null)).toBe(true);
  });

  it("keeps heartbeating without an inventory when it cannot be collected", async () => {
    const beats = await runTest(
      Effect.gen(function* () {
        const failing = fixedMetricsLayer({}, Effect.fail({ source: "gpu:nvidia", message: "nvidia-smi did not answer within 5000 ms" }));
        const agent = yield* startAgent({}, failing);
        yield* TestClock.adjust("60 seconds");
        return inventories(agent.broker.published());
      })
    );
    expect(beats).toEqual([[0, null], [30, null], [60, null]]);
  });
});

describe("metrics trouble never stops or delays heartbeats beyond the budget (TestClock)", () => {
  it("sends the last values, with the stall named, when a collection hangs, and keeps the 30 s cadence", async () => {
    const beats = await runTest(
      Effect.gen(function* () {
        const broker = yield* makeTestBroker;
        const calls = yield* Ref.make(0);
        const fixed = fixedMetricsLayer();
        const collector = yield* Effect.provide(MetricsCollector.useSync((c) => c), fixed);
        // First collection answers; every later one hangs (a GPU tool stuck in the kernel).
        const hanging = Layer.succeed(MetricsCollector, {
          collect: Ref.getAndUpdate(calls, (n) => n + 1).pipe(
            Effect.flatMap((n) => (n === 0 ? collector.collect : Effect.never))
          ),
          inventory: collector.inventory
        });
        yield* runAgent(options()).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(broker.layer, hanging, fakeTaskRunnerLayer)), Effect.forkChild);
        yield* TestClock.adjust(0);
        yield* TestClock.adjust("95 seconds");
        return statusBeats(broker.control.published());
      })
    );
    expect(beats.map((b) => b.at / 1000)).toEqual([0, 32, 62, 92]);
    expect(beats[0]?.payload.resources.collection_errors).toEqual([]);
    expect(beats[1]?.payload.resources.collection_errors).toEqual([
      { source: "metrics", message: "collection still running after 2000 ms; values from 1970-01-01T00:00:00.000Z" }
    ]);
    expect(beats[1]?.payload.resources.gpu_vram_total_gb).toBe(23.988);
  });
});

describe("start-up and reconnect jitter", () => {
  it("spreads attempts: the first within 1 s, each later delay within ±20 % of 1, 2, 4… s", async () => {
    const attempts = await runTest(
      Effect.gen(function* () {
        const broker = yield* makeTestBroker;
        broker.control.refuseConnects(100);
        yield* runAgent(options({ jitter: true })).pipe(
          Effect.scoped,
          Effect.provide(Layer.mergeAll(broker.layer, fixedMetricsLayer(), fakeTaskRunnerLayer)),
          Effect.forkChild
        );
        yield* TestClock.adjust("10 minutes");
        return broker.control.attempts().map((t) => t / 1000);
      })
    );
    expect(attempts).toHaveLength(10);
    expect(attempts[0]).toBeGreaterThanOrEqual(0);
    expect(attempts[0]).toBeLessThanOrEqual(1);
    const expected = [1, 2, 4, 8, 16, 32, 60, 60, 60];
    attempts.slice(1).forEach((t, i) => {
      const delay = t - (attempts[i] ?? 0);
      const nominal = expected[i] ?? 0;
      expect(delay).toBeGreaterThanOrEqual(Math.min(nominal * 0.8, 60) - 0.001);
      expect(delay).toBeLessThanOrEqual(60.001);
    });
  });
});
