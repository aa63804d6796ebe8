import { existsSync } from "node:fs";
import path from "node:path";
import { Effect, type Scope } from "effect";
import { serviceUrls } from "@homelab/tools/testing";
import { repoRoot, spawnScoped, type Child } from "./childProcess.ts";

/** The desktop agent as deployed: the bundle `npx nx run desktop-agent:build` writes. */
export const agentBundle = path.join(repoRoot, "dist/apps/desktop-agent/main.mjs");

/** Fails a suite at once, saying what to run, when the agent bundle has not been built. */
export const requireAgentBundle = (): void => {
  if (!existsSync(agentBundle)) {
    throw new Error(
      `${agentBundle} is missing: these tests run the real desktop agent. Build it with \`npx nx run desktop-agent:build\` ` +
        "(the orchestrator's test target depends on it)."
    );
  }
};

/**
 * The real desktop-agent process, heartbeating every second with no GPU
 * backend. The scope stops it (SIGTERM, SIGKILL if it hangs).
 */
export const startAgent = (options: { readonly agentId: string; readonly replyQueue: string }): Effect.Effect<Child, never, Scope.Scope> =>
  spawnScoped("desktop-agent", [process.execPath, agentBundle], {
    AGENT_ID: options.agentId,
    REPLY_QUEUE: options.replyQueue,
    AMQP_URL: serviceUrls().amqpUrl,
    HEARTBEAT_INTERVAL_SECONDS: "1",
    GPU_BACKEND: "none",
    LOG_LEVEL: "warn"
  });
