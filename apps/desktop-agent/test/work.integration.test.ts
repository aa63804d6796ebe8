// The agent running work against the real RabbitMQ, with real processes:
// requests published to its work queue as the orchestrator will, results
// read from the reply queue, and the work queue checked after the agent
// stops (a request it did not ack would be back there).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Effect, Fiber, Schema } from "effect";
import { AgentId, workQueueTopology, type Message, type MessageOf } from "@homelab/protocol";
import { readReplyQueue, runLive, serviceUrls, testQueues, workRequest, type ReplyQueueReader } from "@homelab/testing";
import type { AgentOptions } from "../src/Agent.ts";
import { agentOptions } from "./support/agentOptions.ts";
import { forkAgentOnBroker } from "./support/realAgent.ts";

const TASKS: AgentOptions["tasks"] = {
  echo: { command: ["echo", "{message}"], timeout_seconds: 30, requires: {} },
  nap: { command: ["sleep", "{seconds}"], timeout_seconds: 30, requires: {} },
  touch: { command: ["touch", "{path}"], timeout_seconds: 30, requires: {} },
  environment: { command: ["env"], timeout_seconds: 30, requires: {}, env: { TASK_VAR: "from-config" } }
};

interface WorkAgent {
  readonly reader: ReplyQueueReader;
  readonly workQueue: string;
  readonly send: (request: object) => Promise<void>;
  /** Publishes these bytes as an application/json body, as they are. */
  readonly sendBytes: (body: Buffer) => Promise<void>;
}

const resultFor =
  (workId: string) =>
  (m: Message): m is MessageOf<"work_result"> =>
    m.type === "work_result" && m.payload.work_id === workId;

/**
 * Runs the agent (real broker, real processes) while `body` works with it,
 * then stops it and counts what is left in its work queue. `before` runs
 * before the agent starts, with its work queue declared.
 */
const withWorkAgent = <A>(
  overrides: Partial<AgentOptions>,
  body: (agent: WorkAgent) => Promise<A>,
  before?: (agent: WorkAgent) => Promise<void>
) =>
  runLive(
    Effect.gen(function* () {
      const queues = yield* testQueues();
      const replyQueue = queues.name("replies");
      const agentId = queues.name("work");
      const topology = workQueueTopology(agentId);
      queues.adopt(topology.queue);
      const reader = yield* readReplyQueue(replyQueue);
      const send = async (body: object) => {
        const publisher = reader.connection.createPublisher({ confirm: true });
        await publisher.send({ routingKey: topology.queue, contentType: "application/json", durable: true }, body);
        await publisher.close();
      };
      const sendBytes = async (body: Buffer) => {
        const publisher = reader.connection.createPublisher({ confirm: true });
        await publisher.send({ routingKey: topology.queue, contentType: "application/json", durable: true }, body);
        await publisher.close();
      };
      const agent: WorkAgent = { reader, workQueue: topology.queue, send, sendBytes };
      yield* Effect.promise(() =>
        reader.connection.queueDeclare({ queue: topology.queue, durable: true, arguments: { ...topology.arguments } })
      );
      if (before !== undefined) yield* Effect.promise(() => before(agent));
      const fiber = yield* forkAgentOnBroker(
        agentOptions({
          agent_id: Schema.decodeUnknownSync(AgentId)(agentId),
          reply_queue: replyQueue,
          tasks: TASKS,
          host_env: process.env,
          ...overrides
        }),
        serviceUrls().amqpUrl
      );
      const result = yield* Effect.promise(() => body(agent)).pipe(Effect.ensuring(Fiber.interrupt(fiber)));
      const left = yield* Effect.promise(() => reader.connection.queueDeclare({ queue: topology.queue, passive: true }));
      return { result, leftInQueue: left.messageCount };
    })
  );

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "agent-work-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("work on the real broker", () => {
  it("runs a known kind and publishes work_result succeeded with its output, and acks the request", async () => {
    const { result, leftInQueue } = await withWorkAgent({}, async (agent) => {
      await agent.send(workRequest("w-echo", "echo", { message: "hello; $(id) `id` *" }));
      return agent.reader.next(resultFor("w-echo"));
    });
    expect(result.correlation_id).toBe("w-echo");
    expect(result.sender).toBe(result.payload.agent_id);
    expect(result.payload).toMatchObject({ work_id: "w-echo", status: "succeeded", exit_code: 0, output: "hello; $(id) `id` *\n", error: null });
    expect(result.payload.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(result.payload.finished_at)).toBeGreaterThanOrEqual(Date.parse(result.payload.started_at));
    expect(leftInQueue).toBe(0);
  });

  it("reads a request as the bytes that were sent: invalid UTF-8 is refused and dropped, never run as U+FFFD", async () => {
    const { result, leftInQueue } = await withWorkAgent({}, async (agent) => {
      const text = JSON.stringify(workRequest("w-bytes", "echo", { message: "PLACEHOLDER" }));
      const [before = "", after = ""] = text.split("PLACEHOLDER");
      await agent.sendBytes(Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]));
      await agent.send(workRequest("w-after", "echo", { message: "next" }));
      const next = await agent.reader.next(resultFor("w-after"));
      return { next, bytes: agent.reader.messages().filter(resultFor("w-bytes")) };
    });
    expect(result.next.payload).toMatchObject({ status: "succeeded", output: "next\n" });
    expect(result.bytes).toEqual([]);
    expect(leftInQueue).toBe(0);
  });

  it("answers a kind it does not have `rejected`, naming the kinds it has, and acks the request", async () => {
    const { result, leftInQueue } = await withWorkAgent({}, async (agent) => {
      await agent.send(workRequest("w-unknown", "transcode", { input: "a.mkv" }));
      return agent.reader.next(resultFor("w-unknown"));
    });
    expect(result.payload).toMatchObject({
      status: "rejected",
      exit_code: null,
      output: "",
      error: 'unknown task kind "transcode"; this agent runs echo, nap, touch, environment'
    });
    expect(result.payload.started_at).toBe(result.payload.finished_at);
    expect(leftInQueue).toBe(0);
  });

  it("rejects a request whose params do not fit the kind's template, and runs nothing", async () => {
    const target = path.join(dir, "typo");
    const { result } = await withWorkAgent({}, async (agent) => {
      await agent.send(workRequest("w-typo", "touch", { path: target, paht: target }));
      return agent.reader.next(resultFor("w-typo"));
    });
    expect(result.payload).toMatchObject({ status: "rejected", error: 'kind "touch": unknown param "paht"; the command takes "path"' });
    expect(existsSync(target)).toBe(false);
  });

  it("does not run a request delivered again after an interruption: answers `rejected` and acks it", async () => {
    const target = path.join(dir, "redelivered");
    const { result, leftInQueue } = await withWorkAgent(
      {},
      (agent) => agent.reader.next(resultFor("w-again")),
      // An earlier consumer took the request and went away without acking it.
      async (agent) => {
        await agent.send(workRequest("w-again", "touch", { path: target }));
        const channel = await agent.reader.connection.acquire();
        const taken = await channel.basicGet({ queue: agent.workQueue });
        expect(taken).toBeDefined();
        if (taken !== undefined) channel.basicNack({ deliveryTag: taken.deliveryTag, requeue: true });
        await channel.close();
      }
    );
    expect(result.payload).toMatchObject({
      status: "rejected",
      exit_code: null,
      error: "delivered again after an interruption; not run twice"
    });
    expect(existsSync(target)).toBe(false);
    expect(leftInQueue).toBe(0);
  });

  it("runs two sleeps at once with max_concurrent_work = 2, and a heartbeat lists both in current_work", async () => {
    const { result, leftInQueue } = await withWorkAgent({ max_concurrent_work: 2, heartbeat_interval_seconds: 0.3 }, async (agent) => {
      await agent.send(workRequest("w-a", "nap", { seconds: "1.5" }));
      await agent.send(workRequest("w-b", "nap", { seconds: "1.5" }));
      const beat = await agent.reader.next(
        (m): m is MessageOf<"work_status"> => m.type === "work_status" && m.payload.current_work.length === 2
      );
      return { beat, a: await agent.reader.next(resultFor("w-a")), b: await agent.reader.next(resultFor("w-b")) };
    });
    expect([...result.beat.payload.current_work].sort()).toEqual(["w-a", "w-b"]);
    expect([result.a.payload.status, result.b.payload.status]).toEqual(["succeeded", "succeeded"]);
    const [a, b] = [result.a.payload, result.b.payload];
    // Each started before the other finished.
    expect(Date.parse(a.started_at)).toBeLessThan(Date.parse(b.finished_at));
    expect(Date.parse(b.started_at)).toBeLessThan(Date.parse(a.finished_at));
    expect(leftInQueue).toBe(0);
  });

  it("with max_concurrent_work = 1 runs the second request only after the first has finished", async () => {
    const { result } = await withWorkAgent({ max_concurrent_work: 1 }, async (agent) => {
      await agent.send(workRequest("w-1", "nap", { seconds: "0.5" }));
      await agent.send(workRequest("w-2", "nap", { seconds: "0.5" }));
      return { first: await agent.reader.next(resultFor("w-1")), second: await agent.reader.next(resultFor("w-2")) };
    });
    expect(Date.parse(result.second.payload.started_at)).toBeGreaterThanOrEqual(Date.parse(result.first.payload.finished_at));
  });

  it("times a real process out at the request's timeout and reports timed_out", async () => {
    const { result } = await withWorkAgent({}, async (agent) => {
      await agent.send(workRequest("w-slow", "nap", { seconds: "30" }, 0.5));
      return agent.reader.next(resultFor("w-slow"));
    });
    expect(result.payload).toMatchObject({
      status: "timed_out",
      exit_code: null,
      error: "timed out after 0.5 s; sleep and its process group were killed"
    });
  });

  it("gives a task only PATH, HOME, LANG, LC_ALL, TZ of the agent's environment plus its configured env", async () => {
    const { result } = await withWorkAgent(
      { host_env: { ...process.env, AMQP_URL: "amqp://agent:hunter2@broker:5672", TZ: "Europe/Berlin" } },
      async (agent) => {
        await agent.send(workRequest("w-env", "environment", {}));
        return agent.reader.next(resultFor("w-env"));
      }
    );
    const names = result.payload.output
      .trim()
      .split("\n")
      .map((line) => line.slice(0, line.indexOf("=")))
      .sort();
    expect(names.every((n) => ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TASK_VAR"].includes(n))).toBe(true);
    expect(names).toEqual(expect.arrayContaining(["PATH", "TZ", "TASK_VAR"]));
    expect(result.payload.output).toContain("TASK_VAR=from-config\n");
    expect(result.payload.output).toContain("TZ=Europe/Berlin\n");
    expect(result.payload.output).not.toContain("hunter2");
  });
});
