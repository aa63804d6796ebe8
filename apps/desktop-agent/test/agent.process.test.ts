// The real agent process, as `nx run desktop-agent:serve` starts it, watched
// through the broker and its exit code — never through its logs.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Effect } from "effect";
import { workQueueTopology, type Message, type MessageOf } from "@homelab/protocol";
import { readReplyQueue, runLive, serviceUrls, testQueues, workRequest } from "@homelab/testing";
import { alive } from "./support/processes.ts";

const root = path.resolve(__dirname, "../../..");
// The agent as deployed and as `nx run desktop-agent:serve` runs it: the
// bundle that the build target (a dependency of this project's test target) writes.
const bundle = path.join(root, "dist/apps/desktop-agent/main.mjs");

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npx nx run desktop-agent:build first`);
});

const startAgent = (env: Record<string, string>, args: ReadonlyArray<string> = []) => {
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "warn", GPU_BACKEND: "none", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  );
  return { child, exited, stderr: () => stderr };
};

/** The two pids the `linger` task writes, once both are there (a receipt, with a deadline). */
const pidsWritten = async (file: string, timeoutMs = 10_000): Promise<Array<number>> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => "");
    const pids = text.split("\n").filter((l) => l.trim() !== "").map(Number);
    if (pids.length >= 2) return pids;
    if (Date.now() > deadline) throw new Error(`${file} holds ${JSON.stringify(text)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const kill = (child: ChildProcess) => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
};

describe("desktop-agent process", () => {
  it("heartbeats, then on SIGTERM publishes agent_shutdown and exits 0 within 10 s", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const agentId = queues.name("desk");
        queues.adopt(`agent.${agentId}.work`);
        const reader = yield* readReplyQueue(replyQueue);
        const agent = startAgent({ AGENT_ID: agentId, REPLY_QUEUE: replyQueue, AMQP_URL: serviceUrls().amqpUrl });
        return yield* Effect.promise(async () => {
          try {
            const beat = await reader.next((m): m is MessageOf<"work_status"> => m.type === "work_status", 30_000);
            const stoppedAt = Date.now();
            agent.child.kill("SIGTERM");
            const exit = await agent.exited;
            const shutdown = await reader.next((m): m is MessageOf<"agent_shutdown"> => m.type === "agent_shutdown");
            return { beat, exit, shutdown, stopSeconds: (Date.now() - stoppedAt) / 1000, stderr: agent.stderr() };
          } finally {
            kill(agent.child);
          }
        });
      })
    );
    expect(outcome.exit).toEqual({ code: 0, signal: null });
    expect(outcome.stopSeconds).toBeLessThan(10);
    expect(outcome.shutdown.payload).toEqual({
      agent_id: outcome.beat.payload.agent_id,
      boot_id: outcome.beat.payload.boot_id,
      reason: "signal: agent stopping"
    });
  });

  it("on SIGTERM during a long task: kills it after the grace, publishes `failed` with the reason, then agent_shutdown, and exits 0", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "agent-process-"));
    const pidFile = path.join(dir, "pids");
    const config = path.join(dir, "agent.yaml");
    // The test's task uses sh (the agent never adds one): it records its own
    // pid and a grandchild's, which must both be gone after the stop.
    await writeFile(
      config,
      `tasks:
  linger:
    command: ["sh", "-c", "echo $$ > \\"$1\\"; sleep 60 & echo $! >> \\"$1\\"; wait", "linger", "{pid_file}"]
    timeout_seconds: 120
`
    );
    try {
      const outcome = await runLive(
        Effect.gen(function* () {
          const queues = yield* testQueues();
          const replyQueue = queues.name("replies");
          const agentId = queues.name("desk");
          const workQueue = queues.adopt(workQueueTopology(agentId).queue);
          const reader = yield* readReplyQueue(replyQueue);
          const agent = startAgent({
            AGENT_ID: agentId,
            REPLY_QUEUE: replyQueue,
            AMQP_URL: serviceUrls().amqpUrl,
            AGENT_CONFIG: config,
            SHUTDOWN_GRACE_SECONDS: "1",
            HEARTBEAT_INTERVAL_SECONDS: "0.5"
          });
          const run = yield* Effect.promise(async () => {
            try {
              await reader.next((m): m is MessageOf<"work_status"> => m.type === "work_status", 30_000);
              const publisher = reader.connection.createPublisher({ confirm: true });
              await publisher.send(
                { routingKey: workQueue, contentType: "application/json", durable: true },
                workRequest("w-long", "linger", { pid_file: pidFile }, 120)
              );
              await publisher.close();
              await reader.next(
                (m): m is MessageOf<"work_status"> => m.type === "work_status" && m.payload.current_work.includes("w-long")
              );
              const pids = await pidsWritten(pidFile);
              const stoppedAt = Date.now();
              agent.child.kill("SIGTERM");
              const exit = await agent.exited;
              const stopSeconds = (Date.now() - stoppedAt) / 1000;
              await reader.next((m): m is MessageOf<"agent_shutdown"> => m.type === "agent_shutdown");
              return { exit, stopSeconds, pids, messages: reader.messages() };
            } finally {
              kill(agent.child);
            }
          });
          const left = yield* Effect.promise(() => reader.connection.queueDeclare({ queue: workQueue, passive: true }));
          return { ...run, leftInQueue: left.messageCount };
        })
      );
      expect(outcome.exit).toEqual({ code: 0, signal: null });
      // The grace was given, and the whole stop stayed well inside systemd's 15 s.
      expect(outcome.stopSeconds).toBeGreaterThanOrEqual(1);
      expect(outcome.stopSeconds).toBeLessThan(10);
      const after = outcome.messages.filter((m: Message) => m.type !== "work_status");
      expect(after.map((m) => m.type)).toEqual(["work_result", "agent_shutdown"]);
      const result = after[0]?.type === "work_result" ? after[0].payload : undefined;
      expect(result).toMatchObject({ work_id: "w-long", status: "failed", exit_code: null });
      expect(result?.error?.startsWith("agent stopping: killed after the 1 s shutdown grace")).toBe(true);
      expect(outcome.pids).toHaveLength(2);
      expect(outcome.pids.filter(alive)).toEqual([]);
      expect(outcome.leftInQueue).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("stops at once with exit code 78 and one line naming the field when the config is invalid", async () => {
    const agent = startAgent({ HEARTBEAT_INTERVAL_SECONDS: "often" });
    const exit = await agent.exited;
    expect(exit.code).toBe(78);
    const lines = agent.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("HEARTBEAT_INTERVAL_SECONDS");
  });
});

