import { Schema } from "effect";
import { AgentId } from "@homelab/protocol";
import type { AgentOptions } from "../../src/Agent.ts";

/** Options for runAgent in tests: agent desk-1, 30 s heartbeats, no jitter, one echo kind; override what a test is about. */
export const agentOptions = (overrides: Partial<AgentOptions> = {}): AgentOptions => ({
  agent_id: Schema.decodeUnknownSync(AgentId)("desk-1"),
  agent_type: "desktop",
  pool_name: "desktop_pool_1",
  reply_queue: "orchestrator.replies",
  heartbeat_interval_seconds: 30,
  max_concurrent_work: 1,
  tasks: { echo: { command: ["echo", "{message}"], timeout_seconds: 30, requires: {} } },
  max_output_bytes: 65536,
  shutdown_grace_seconds: 8,
  host_env: {},
  jitter: false,
  ...overrides
});
