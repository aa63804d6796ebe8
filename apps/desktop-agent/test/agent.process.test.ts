// The real agent process, as `nx run desktop-agent:serve` starts it, watched
// through the broker and its exit code — never through its logs.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { Effect } from "effect";
import type { MessageOf } from "@homelab/protocol";
import { readReplyQueue, runLive, serviceUrls, testQueues } from "@homelab/tools/testing";

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

  it("stops at once with exit code 78 and one line naming the field when the config is invalid", async () => {
    const agent = startAgent({ HEARTBEAT_INTERVAL_SECONDS: "often" });
    const exit = await agent.exited;
    expect(exit.code).toBe(78);
    const lines = agent.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("HEARTBEAT_INTERVAL_SECONDS");
  });
});

