import type { Agent } from "../api/types.ts";

export type LivenessKey = "online" | "busy" | "draining" | "offline-clean" | "offline-unreachable";

export interface Liveness {
  readonly key: LivenessKey;
  readonly label: string;
}

/** The server's offline_reason for an agent that said goodbye. */
export const CLEAN_SHUTDOWN = "agent_shutdown";

/** What the card says about an agent: offline (and why), else draining, else what it reported. */
export const liveness = (agent: Agent): Liveness => {
  if (agent.status === "offline") {
    return agent.offline_reason === CLEAN_SHUTDOWN
      ? { key: "offline-clean", label: "offline — stopped cleanly" }
      : { key: "offline-unreachable", label: "offline — unreachable" };
  }
  if (agent.draining) return { key: "draining", label: "draining" };
  return agent.reported_status === "busy" ? { key: "busy", label: "busy" } : { key: "online", label: "online" };
};
