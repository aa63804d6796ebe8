import type { AgentChange } from "@homelab/registry";

/**
 * Which changed agents a live batch sends now. A change a page must show at
 * once — registered, online/offline, busy/draining, drained, its kinds or
 * pool (the registry's `signature`) — goes in the next batch; a heartbeat
 * that changes only figures (metrics, last_heartbeat_at: the page counts the
 * age itself) waits up to REFRESH_MS with the agent's later heartbeats folded
 * into one. With 500 agents heartbeating every second, that is one record
 * per agent per REFRESH_MS to each page instead of one per poll, and only
 * those agents' records are read (tools/bench/dashboard.ts).
 */
export const REFRESH_MS = 3000;

export class AgentRefresh {
  private readonly shown = new Map<string, string>();
  private readonly waiting = new Set<string>();
  private lastFlush = Number.NEGATIVE_INFINITY;

  /** The ids of the agents to send in this batch (at `nowMs`), from those read as changed. */
  take(changed: ReadonlyArray<Pick<AgentChange, "agent_id" | "signature">>, nowMs: number): ReadonlyArray<string> {
    const now: Array<string> = [];
    for (const { agent_id, signature } of changed) {
      if (this.shown.get(agent_id) === signature) {
        this.waiting.add(agent_id);
        continue;
      }
      this.shown.set(agent_id, signature);
      this.waiting.delete(agent_id);
      now.push(agent_id);
    }
    if (this.waiting.size > 0 && nowMs - this.lastFlush >= REFRESH_MS) {
      now.push(...this.waiting);
      this.waiting.clear();
      this.lastFlush = nowMs;
    }
    return now;
  }

  /** No page is connected: the next one starts from its snapshot. */
  reset(): void {
    this.shown.clear();
    this.waiting.clear();
    this.lastFlush = Number.NEGATIVE_INFINITY;
  }
}
