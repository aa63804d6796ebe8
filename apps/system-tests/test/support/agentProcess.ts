import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Effect, type Scope } from "effect";
import { serviceUrls } from "@homelab/testing";
import { repoRoot, spawnScoped, type Child } from "./childProcess.ts";

/** The desktop agent as deployed: the bundle `npx nx run desktop-agent:build` writes. */
export const agentBundle = path.join(repoRoot, "dist/apps/desktop-agent/main.mjs");

/** An agent process is up and heartbeating within this (bundle load, up to 1 s start-up jitter, connect), on a loaded machine. */
export const AGENT_UP_MS = 15_000;

/** Fails a suite at once, saying what to run, when the agent bundle has not been built. */
export const requireAgentBundle = (): void => {
  if (!existsSync(agentBundle)) {
    throw new Error(
      `${agentBundle} is missing: these tests run the real desktop agent. Build it with \`npx nx run desktop-agent:build\` ` +
        "(the system-tests test target depends on it)."
    );
  }
};

/** An agent config with two task kinds, `echo {message}` and `hold` (sleep `{seconds}`, up to 60 s), two at once; `extra` YAML appended. */
export const ECHO_AND_HOLD_CONFIG = (extra = "") => `
max_concurrent_work: 2
tasks:
  echo:
    command: ["echo", "{message}"]
    timeout_seconds: 30
  hold:
    command: ["sleep", "{seconds}"]
    timeout_seconds: 60
${extra}`;

export interface AgentProcessOptions {
  readonly agentId: string;
  readonly replyQueue: string;
  /** The agent's YAML config file (task kinds, limits), written to a temporary file; none: env and defaults only. */
  readonly config?: string;
  /** The broker; the shared one (serviceUrls) when absent. */
  readonly amqpUrl?: string;
  /** Leave the heartbeat interval to the config file (by default the env sets 1 s). */
  readonly intervalFromConfig?: boolean;
  /** More environment (SHUTDOWN_GRACE_SECONDS, MAX_CONCURRENT_WORK, …). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The real desktop-agent process, heartbeating every second with no GPU
 * backend. The scope stops it (SIGTERM, SIGKILL if it hangs) and removes its
 * config file.
 */
export const startAgent = (options: AgentProcessOptions): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.gen(function* () {
    const config =
      options.config === undefined
        ? {}
        : {
            AGENT_CONFIG: yield* Effect.acquireRelease(
              Effect.sync(() => {
                const dir = mkdtempSync(path.join(os.tmpdir(), "agent-config-"));
                const file = path.join(dir, "agent.yaml");
                writeFileSync(file, options.config ?? "");
                return file;
              }),
              (file) => Effect.sync(() => rmSync(path.dirname(file), { recursive: true, force: true }))
            )
          };
    return yield* spawnScoped("desktop-agent", [process.execPath, agentBundle], {
      AGENT_ID: options.agentId,
      REPLY_QUEUE: options.replyQueue,
      AMQP_URL: options.amqpUrl ?? serviceUrls().amqpUrl,
      ...(options.intervalFromConfig === true ? {} : { HEARTBEAT_INTERVAL_SECONDS: "1" }),
      GPU_BACKEND: "none",
      LOG_LEVEL: "warn",
      ...config,
      ...options.env
    });
  });
