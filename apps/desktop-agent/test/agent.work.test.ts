// Work intake and results through the agent, on the in-memory broker under a
// TestClock; tasks run on the fake runner, where `sleep N` takes N logical
// seconds. What real processes and the real broker do is covered in
// TaskRunner.test.ts and work.integration.test.ts.
import { Effect, Fiber, Layer } from "effect";
import { TestClock } from "effect/testing";
import { encodeMessage, makeEnvelope, type Message, ORCHESTRATOR_SENDER } from "@homelab/protocol";
import { runTest, workRequest } from "@homelab/testing";
import { runAgent, type AgentOptions } from "../src/Agent.ts";
import { REDELIVERED_REASON } from "../src/WorkConsumer.ts";
import { makeFakeTaskRunner } from "./support/fakeTaskRunner.ts";
import { fixedMetricsLayer } from "./support/fixedMetrics.ts";
import { makeTestBroker } from "./support/TestBroker.ts";
import { agentOptions } from "./support/agentOptions.ts";

const options = (overrides: Partial<AgentOptions> = {}): AgentOptions =>
  agentOptions({
    max_concurrent_work: 2,
    tasks: {
      echo: { command: ["echo", "{message}"], timeout_seconds: 30, requires: {} },
      nap: { command: ["sleep", "{seconds}"], timeout_seconds: 30, requires: {}, allow_option_values: { seconds: true } },
      render: {
        command: ["blender", "-b", "{scene}"],
        timeout_seconds: 30,
        requires: {},
        cwd: "/srv/render",
        env: { CUDA_VISIBLE_DEVICES: "1" }
      }
    },
    ...overrides
  });

const startAgent = (overrides: Partial<AgentOptions> = {}) =>
  Effect.gen(function* () {
    const broker = yield* makeTestBroker;
    const runner = makeFakeTaskRunner();
    const fiber = yield* runAgent(options(overrides)).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(broker.layer, fixedMetricsLayer(), runner.layer)),
      Effect.forkChild
    );
    yield* TestClock.adjust(0);
    return { broker: broker.control, runner, fiber };
  });

const resultsIn = (published: ReadonlyArray<{ message: Message; at: number }>) =>
  published.flatMap((p) => (p.message.type === "work_result" ? [{ at: p.at / 1000, payload: p.message.payload }] : []));

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();


describe("work results (TestClock)", () => {
  it("runs a known kind and publishes its result before it acks the request", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        const delivery = yield* Effect.forkChild(agent.broker.deliver(workRequest("w-1", "nap", { seconds: "5" })));
        yield* TestClock.adjust("4 seconds");
        const before = resultsIn(agent.broker.published());
        yield* TestClock.adjust("1 second");
        const disposition = yield* Fiber.join(delivery);
        const published = agent.broker.published().map((p) => p.message.type);
        return { before, disposition, published, dispositions: agent.broker.dispositions(), results: resultsIn(agent.broker.published()), runs: agent.runner.runs() };
      })
    );
    expect(seen.before).toEqual([]);
    expect(seen.disposition).toBe("ack");
    // When the handler answered "ack", the result was already confirmed.
    expect(seen.dispositions).toEqual([{ disposition: "ack", publishedBefore: seen.published.length }]);
    expect(seen.published.at(-1)).toBe("work_result");
    expect(seen.results).toEqual([
      {
        at: 5,
        payload: {
          work_id: "w-1",
          agent_id: "desk-1",
          status: "succeeded",
          exit_code: 0,
          output: "",
          error: null,
          started_at: iso(0),
          finished_at: iso(5)
        }
      }
    ]);
    expect(seen.runs.map((r) => r.argv)).toEqual([["sleep", "5"]]);
  });

  it("requeues a request whose result cannot be published; its redelivery publishes the kept result without running it again", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* TestClock.adjust("1 second"); // the first heartbeat is out
        agent.broker.failNextPublish();
        const first = yield* agent.broker.deliver(workRequest("w-1", "echo", { message: "hello" }));
        const afterFirst = resultsIn(agent.broker.published());
        const second = yield* agent.broker.deliver(workRequest("w-1", "echo", { message: "hello" }), { redelivered: true });
        return { first, afterFirst, second, results: resultsIn(agent.broker.published()), runs: agent.runner.runs().length };
      })
    );
    expect(seen.first).toBe("requeue");
    expect(seen.afterFirst).toEqual([]);
    expect(seen.second).toBe("ack");
    expect(seen.results.map((r) => [r.payload.status, r.payload.output])).toEqual([["succeeded", "hello\n"]]);
    expect(seen.runs).toBe(1);
  });

  it("answers a redelivered request it never saw `rejected`, without running it", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        const disposition = yield* agent.broker.deliver(workRequest("w-9", "nap", { seconds: "5" }), { redelivered: true });
        return { disposition, results: resultsIn(agent.broker.published()), runs: agent.runner.runs().length };
      })
    );
    expect(seen.disposition).toBe("ack");
    expect(seen.results.map((r) => r.payload)).toEqual([
      {
        work_id: "w-9",
        agent_id: "desk-1",
        status: "rejected",
        exit_code: null,
        output: "",
        error: "delivered again after an interruption; not run twice",
        started_at: iso(0),
        finished_at: iso(0)
      }
    ]);
    expect(REDELIVERED_REASON).toBe("delivered again after an interruption; not run twice");
    expect(seen.runs).toBe(0);
  });

  it("acks a request delivered again after its result went out, with no second result and no second run", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* agent.broker.deliver(workRequest("w-1", "echo", { message: "hi" }));
        const again = yield* agent.broker.deliver(workRequest("w-1", "echo", { message: "hi" }), { redelivered: true });
        return { again, results: resultsIn(agent.broker.published()).length, runs: agent.runner.runs().length };
      })
    );
    expect(seen).toEqual({ again: "ack", results: 1, runs: 1 });
  });

  it.each([
    ["a kind it does not have", workRequest("w-1", "transcode", { input: "a" }), 'unknown task kind "transcode"; this agent runs echo, nap, render'],
    ["a missing param", workRequest("w-1", "echo", {}), 'kind "echo": missing param "message"; the command takes "message"'],
    [
      "a param the template has no slot for",
      workRequest("w-1", "echo", { message: "hi", mesage: "typo" }),
      'kind "echo": unknown param "mesage"; the command takes "message"'
    ],
    [
      "a param that begins with - (it would be read as an option)",
      workRequest("w-1", "render", { scene: "--python-expr=evil()" }),
      'kind "render": param "scene" begins with "-" ("--python-expr=evil()"), which the program could read as an option; the kind allows that only with allow_option_values: { scene: true }'
    ]
  ])("answers %s `rejected`, saying why, and runs nothing", async (_what, body, error) => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        const disposition = yield* agent.broker.deliver(body);
        return { disposition, results: resultsIn(agent.broker.published()), runs: agent.runner.runs().length };
      })
    );
    expect(seen.disposition).toBe("ack");
    expect(seen.results.map((r) => [r.payload.status, r.payload.exit_code, r.payload.error])).toEqual([["rejected", null, error]]);
    expect(seen.runs).toBe(0);
  });

  it("with orchestrator_user set, runs only requests the broker says that user published; others are answered rejected, unrun", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent({ orchestrator_user: "orchestrator" });
        const forged = yield* agent.broker.deliver(workRequest("w-forged", "echo", { message: "hi" }), { userId: "desk-2" });
        const unsigned = yield* agent.broker.deliver(workRequest("w-unsigned", "echo", { message: "hi" }));
        yield* Effect.forkChild(agent.broker.deliver(workRequest("w-real", "echo", { message: "hi" }), { userId: "orchestrator" }));
        yield* TestClock.adjust("1 second");
        return {
          dispositions: [forged, unsigned],
          results: resultsIn(agent.broker.published()).map((r) => [r.payload.work_id, r.payload.status, r.payload.error]),
          runs: agent.runner.runs().map((r) => r.argv)
        };
      })
    );
    expect(seen.dispositions).toEqual(["ack", "ack"]);
    expect(seen.results.slice(0, 2)).toEqual([
      ["w-forged", "rejected", "unauthenticated: the request was not published by the orchestrator's broker user"],
      ["w-unsigned", "rejected", "unauthenticated: the request was not published by the orchestrator's broker user"]
    ]);
    expect(seen.runs).toEqual([["echo", "hi"]]);
  });

  it("passes a value that begins with - when the kind allows it for that param (allow_option_values)", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* Effect.forkChild(agent.broker.deliver(workRequest("w-opt", "nap", { seconds: "-1" })));
        yield* TestClock.adjust("1 second");
        return agent.runner.runs().map((r) => r.argv);
      })
    );
    expect(seen).toEqual([["sleep", "-1"]]);
  });

  it("times work out at the smaller of the request's and the task's timeout", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        const short = yield* Effect.forkChild(agent.broker.deliver(workRequest("by-request", "nap", { seconds: "100" }, 10)));
        const long = yield* Effect.forkChild(agent.broker.deliver(workRequest("by-task", "nap", { seconds: "100" }, 100)));
        yield* TestClock.adjust("30 seconds");
        yield* Fiber.join(short);
        yield* Fiber.join(long);
        return resultsIn(agent.broker.published()).map((r) => [r.payload.work_id, r.at, r.payload.status, r.payload.error]);
      })
    );
    expect(seen).toEqual([
      ["by-request", 10, "timed_out", "timed out after 10 s; sleep and its process group were killed"],
      ["by-task", 30, "timed_out", "timed out after 30 s; sleep and its process group were killed"]
    ]);
  });

  it("runs the task's program in its cwd with only PATH, HOME, LANG, LC_ALL, TZ of the agent's environment plus the task's env", async () => {
    const runs = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent({
          host_env: {
            PATH: "/usr/bin:/bin",
            HOME: "/home/agent",
            LANG: "C.UTF-8",
            AMQP_URL: "amqp://agent:hunter2@broker",
            AGENT_CONFIG: "/etc/homelab/agent.yaml",
            SSH_AUTH_SOCK: "/run/user/1000/ssh"
          }
        });
        yield* agent.broker.deliver(workRequest("w-1", "render", { scene: "a b; $(id).blend" }));
        return agent.runner.runs();
      })
    );
    expect(runs.map((r) => ({ argv: r.argv, cwd: r.cwd, env: r.env, timeoutMs: r.timeoutMs, maxOutputBytes: r.maxOutputBytes }))).toEqual([
      {
        argv: ["blender", "-b", "a b; $(id).blend"],
        cwd: "/srv/render",
        env: { PATH: "/usr/bin:/bin", HOME: "/home/agent", LANG: "C.UTF-8", CUDA_VISIBLE_DEVICES: "1" },
        timeoutMs: 30_000,
        maxOutputBytes: 65536
      }
    ]);
  });
});

describe("current_work in heartbeats (TestClock)", () => {
  it("lists the work_ids running at each heartbeat", async () => {
    const beats = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent({ tasks: { nap: { command: ["sleep", "{seconds}"], timeout_seconds: 300, requires: {} } } });
        yield* Effect.forkChild(agent.broker.deliver(workRequest("w-a", "nap", { seconds: "45" }, 300)));
        yield* Effect.forkChild(agent.broker.deliver(workRequest("w-b", "nap", { seconds: "75" }, 300)));
        yield* TestClock.adjust("90 seconds");
        return agent.broker.published().flatMap((p) => (p.message.type === "work_status" ? [[p.at / 1000, p.message.payload.current_work]] : []));
      })
    );
    expect(beats).toEqual([
      [0, []],
      [30, ["w-a", "w-b"]],
      [60, ["w-b"]],
      [90, []]
    ]);
  });
});

describe("a lost connection while work runs (TestClock)", () => {
  it("requeues the request, lets the work run on, and publishes its result when the request comes back on the new connection", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        const first = yield* Effect.forkChild(agent.broker.deliver(workRequest("w-1", "nap", { seconds: "20" })));
        yield* TestClock.adjust("5 seconds");
        yield* agent.broker.dropConnection();
        yield* TestClock.adjust(0);
        const firstDisposition = yield* Fiber.join(first);
        // The broker hands the unacked request to the new connection, flagged redelivered.
        const again = yield* Effect.forkChild(agent.broker.deliver(workRequest("w-1", "nap", { seconds: "20" }), { redelivered: true }));
        yield* TestClock.adjust("15 seconds");
        return {
          firstDisposition,
          again: yield* Fiber.join(again),
          connections: agent.broker.attempts().length,
          results: resultsIn(agent.broker.published()).map((r) => [r.at, r.payload.status]),
          runs: agent.runner.runs().length
        };
      })
    );
    expect(seen).toEqual({ firstDisposition: "requeue", again: "ack", connections: 2, results: [[20, "succeeded"]], runs: 1 });
  });
});

describe("shutdown with work running (TestClock)", () => {
  it("reports work that ends within the grace normally, kills the rest at the grace as failed, and publishes both before agent_shutdown", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent({ tasks: { nap: { command: ["sleep", "{seconds}"], timeout_seconds: 300, requires: {} } } });
        const quick = yield* Effect.forkChild(agent.broker.deliver(workRequest("quick", "nap", { seconds: "5" })));
        const slow = yield* Effect.forkChild(agent.broker.deliver(workRequest("slow", "nap", { seconds: "60" })));
        yield* TestClock.adjust("1 second");
        const stopping = yield* Effect.forkChild(Fiber.interrupt(agent.fiber));
        yield* TestClock.adjust("8 seconds");
        const dispositions = [yield* Fiber.join(quick), yield* Fiber.join(slow)];
        yield* Fiber.join(stopping);
        return {
          dispositions,
          sequence: agent.broker
            .published()
            .filter((p) => p.message.type !== "work_status")
            .map((p) =>
              p.message.type === "work_result"
                ? [p.at / 1000, p.message.payload.work_id, p.message.payload.status, p.message.payload.error]
                : [p.at / 1000, p.message.type]
            )
        };
      })
    );
    expect(seen.dispositions).toEqual(["ack", "ack"]);
    expect(seen.sequence).toEqual([
      [5, "quick", "succeeded", null],
      [9, "slow", "failed", "agent stopping: killed after the 8 s shutdown grace"],
      [9, "agent_shutdown"]
    ]);
  });

  it("stops at once when nothing is running, saying `draining` before it says it is gone", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* agent.broker.deliver(workRequest("w-1", "echo", { message: "hi" }));
        yield* Fiber.interrupt(agent.fiber);
        return agent.broker
          .published()
          .map((p) => [p.at / 1000, p.message.type, p.message.type === "work_status" ? p.message.payload.status : null]);
      })
    );
    expect(seen).toEqual([
      [0, "work_status", "online"],
      [0, "work_result", null],
      [0, "work_status", "draining"],
      [0, "agent_shutdown", null]
    ]);
  });
});

describe("cancel and deadlines (TestClock)", () => {
  const cancelOrder = (workId: string) =>
    makeEnvelope({
      type: "work_cancel",
      message_id: "0b6f3c1e-8d2a-4f5b-9c7e-00000000c001",
      sent_at: iso(0),
      sender: ORCHESTRATOR_SENDER,
      correlation_id: workId,
      payload: { work_id: workId, reason: "cancelled by request" }
    });
  const encoded = (message: Parameters<typeof encodeMessage>[0]) => Buffer.from(encodeMessage(message));

  it("kills running work on a work_cancel and reports it cancelled with the output so far, at once", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        const delivery = yield* Effect.forkChild(agent.broker.deliver(workRequest("w-long", "nap", { seconds: "600" })));
        yield* TestClock.adjust("5 seconds");
        const control = yield* agent.broker.deliver(encoded(cancelOrder("w-long")), { queue: "control" });
        const disposition = yield* Fiber.join(delivery);
        return { control, disposition, results: resultsIn(agent.broker.published()) };
      })
    );
    expect(seen.control).toBe("ack");
    expect(seen.disposition).toBe("ack");
    expect(seen.results).toEqual([
      expect.objectContaining({ at: 5, payload: expect.objectContaining({ work_id: "w-long", status: "cancelled", error: expect.stringMatching(/^cancelled by request; sleep and its process group were killed/) }) })
    ]);
  });

  it("never starts work cancelled before it arrived, nor a request past its expires_at", async () => {
    const seen = await runTest(
      Effect.gen(function* () {
        const agent = yield* startAgent();
        yield* agent.broker.deliver(encoded(cancelOrder("w-early")), { queue: "control" });
        const early = yield* agent.broker.deliver(workRequest("w-early", "nap", { seconds: "5" }));
        yield* TestClock.adjust("100 seconds");
        const late = workRequest("w-late", "nap", { seconds: "5" });
        const stale = yield* agent.broker.deliver({ ...late, payload: { ...late.payload, expires_at: iso(60) } });
        return { early, stale, results: resultsIn(agent.broker.published()), started: agent.runner.runs() };
      })
    );
    expect([seen.early, seen.stale]).toEqual(["ack", "ack"]);
    expect(seen.results.map((r) => [r.payload.work_id, r.payload.status, r.payload.error])).toEqual([
      ["w-early", "cancelled", "cancelled by request; never started"],
      ["w-late", "expired", `not started: its deadline ${iso(60)} passed 40 s ago`]
    ]);
    expect(seen.started).toEqual([]);
  });
});
