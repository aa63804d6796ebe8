import type { AgentRecord } from "@homelab/registry";

/**
 * Which changed agents a live batch sends now. A change a page must show at
 * once — registered, online/offline, busy/draining, drained, its kinds or
 * pool — goes in the next batch; a heartbeat that changes only figures
 * (metrics, last_heartbeat_at: the page counts the age itself) waits up to
 * REFRESH_MS with the agent's later heartbeats folded into one. With 500
 * agents heartbeating every second, that is one record per agent per
 * REFRESH_MS to each page instead of one per poll (tools/bench/dashboard.ts).
 */
export const REFRESH_MS = 3000;

const signature = (a: AgentRecord): string =>
  [a.status, a.reported_status, a.drained, a.offline_reason ?? "", a.pool_name, a.max_concurrent_work ?? "", a.capabilities.join(",")].join("|");

export class AgentRefresh {
  private readonly shown = new Map<string, string>();
  private readonly waiting = new Map<string, AgentRecord>();
  private lastFlush = Number.NEGATIVE_INFINITY;

  /** The agents to send in this batch (at `nowMs`), from those read as changed. */
  take(changed: ReadonlyArray<AgentRecord>, nowMs: number): ReadonlyArray<AgentRecord> {
    const now: Array<AgentRecord> = [];
    for (const agent of changed) {
      const seen = this.shown.get(agent.agent_id);
      const sig = signature(agent);
      if (seen === sig) {
        this.waiting.set(agent.agent_id, agent);
        continue;
      }
      this.shown.set(agent.agent_id, sig);
      this.waiting.delete(agent.agent_id);
      now.push(agent);
    }
    if (this.waiting.size > 0 && nowMs - this.lastFlush >= REFRESH_MS) {
      now.push(...this.waiting.values());
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
