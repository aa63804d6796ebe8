import { Schema } from "effect";
import { AgentId, Uuid } from "./fields.ts";

/** Payload of an `agent_shutdown` message: the agent leaves the pool now. */
export const AgentShutdown = Schema.Struct({
  agent_id: AgentId,
  boot_id: Uuid,
  reason: Schema.String
});

/** A decoded shutdown notice. */
export type AgentShutdown = typeof AgentShutdown.Type;
