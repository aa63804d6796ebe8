// The deployed bundle's memory (issue #18): what V8 holds of its source, and
// the resident memory of the process beside a bare node started with it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Effect } from "effect";
import type { MessageOf } from "@homelab/protocol";
import { readReplyQueue, runLive, serviceUrls, testQueues } from "@homelab/testing";

const root = path.resolve(__dirname, "../../..");
// Written by the build target, a dependency of this project's test target.
const bundle = path.join(root, "dist/apps/desktop-agent/main.mjs");

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npx nx run desktop-agent:build first`);
});

/** VmRSS in MiB; undefined once the process is gone. */
const rssMb = (pid: number): number | undefined => {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
};

const kill = (child: ChildProcess) => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
};

describe("desktop-agent bundle footprint", () => {
  it("is Latin-1 text throughout, so V8 keeps its source at one byte per character (one wider character doubles it)", () => {
    const text = readFileSync(bundle, "utf8");
    const wide = [...text].findIndex((c) => (c.codePointAt(0) ?? 0) > 0xff);
    expect(wide === -1 ? "" : text.slice(Math.max(0, wide - 40), wide + 10)).toBe("");
  });

  it("links no source map, so --enable-source-maps (systemd unit, Docker image) does not load the map into the process", () => {
    expect(readFileSync(bundle, "utf8")).not.toMatch(/\/\/# sourceMappingURL=/);
    expect(existsSync(`${bundle}.map`)).toBe(true);
  });

  it("stays within 20 MB resident of a bare node process through its first heartbeats, started as the systemd unit starts it", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const agentId = queues.name("slim");
        queues.adopt(`agent.${agentId}.work`);
        const reader = yield* readReplyQueue(replyQueue);
        return yield* Effect.promise(async () => {
          const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
          const agent = spawn(process.execPath, ["--enable-source-maps", bundle], {
            cwd: root,
            env: {
              ...process.env,
              AGENT_ID: agentId,
              REPLY_QUEUE: replyQueue,
              AMQP_URL: serviceUrls().amqpUrl,
              GPU_BACKEND: "none",
              HEARTBEAT_INTERVAL_SECONDS: "0.5",
              LOG_LEVEL: "warn"
            },
            stdio: "ignore"
          });
          const peaks = { agent: 0, bare: 0 };
          try {
            for (let seq = 0; seq <= 6; seq++) {
              await reader.next(
                (m): m is MessageOf<"work_status"> => m.type === "work_status" && m.payload.seq >= seq,
                30_000
              );
              peaks.agent = Math.max(peaks.agent, rssMb(agent.pid ?? -1) ?? Number.NaN);
              peaks.bare = Math.max(peaks.bare, rssMb(bare.pid ?? -1) ?? Number.NaN);
            }
            return peaks;
          } finally {
            kill(agent);
            kill(bare);
          }
        });
      })
    );
    expect(outcome.bare).toBeGreaterThan(0);
    expect(outcome.agent - outcome.bare).toBeLessThan(20);
  });
});
