import { vramSplit } from "../fleet/vramSplit.ts";
import { clean } from "../format.ts";
import { bookedOnGpu, NO_BOOKINGS } from "./bookings.ts";
import type { FleetState } from "./fleetState.ts";

export interface FleetSummary {
  readonly online: number;
  readonly total: number;
  /** GPUs on online agents. */
  readonly gpus: number;
  /** Free VRAM over the GPUs of online agents, as the cards count it (available − booked). */
  readonly freeVramGb: number;
  readonly queued: number;
}

export const summarize = (state: FleetState): FleetSummary => {
  let online = 0;
  let gpus = 0;
  let free = 0;
  for (const a of state.agents.values()) {
    if (a.status !== "online") continue;
    online++;
    const bookings = state.bookingsByAgent.get(a.agent_id) ?? NO_BOOKINGS;
    for (const g of a.resource_metrics.gpus) {
      gpus++;
      free += vramSplit(g, bookedOnGpu(bookings, g.index)).free;
    }
  }
  return { online, total: state.agents.size, gpus, freeVramGb: clean(free), queued: Math.max(state.queuedTotal ?? 0, state.queued.length) };
};
