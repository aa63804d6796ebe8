import type { Agent, Booking } from "../api/types.ts";
import { bookedOnGpu, NO_BOOKINGS } from "../state/bookings.ts";

export interface GpuFit {
  readonly agent_id: string;
  readonly gpu_index: number;
  /** vram_available_gb − booked on that GPU, never below 0 (the router's figure). */
  readonly free_gb: number;
  readonly booked_gb: number;
}

/** Every GPU of the given agents with what is free on it now, from the live data. */
export const gpuFits = (
  agentIds: ReadonlyArray<string>,
  agents: ReadonlyMap<string, Agent>,
  bookingsByAgent: ReadonlyMap<string, ReadonlyArray<Booking>>
): ReadonlyArray<GpuFit> =>
  agentIds.flatMap((id) => {
    const agent = agents.get(id);
    if (agent === undefined) return [];
    const bookings = bookingsByAgent.get(id) ?? NO_BOOKINGS;
    return agent.resource_metrics.gpus.map((g) => {
      const booked = bookedOnGpu(bookings, g.index);
      // Not rounded: the same arithmetic as the server's, so the figure equals /capacity's.
      return { agent_id: id, gpu_index: g.index, free_gb: Math.max(0, g.vram_available_gb - booked), booked_gb: booked };
    });
  });

/**
 * Best fit for a job needing `minVramGb` on one GPU: the GPU with the least
 * free VRAM that is still enough (keeping the big cards free for big jobs);
 * ties go to the GPU with less booked, then the agent id, then the GPU index.
 */
export const bestFit = (fits: ReadonlyArray<GpuFit>, minVramGb: number): GpuFit | null => {
  let best: GpuFit | null = null;
  for (const f of fits) {
    if (f.free_gb < minVramGb) continue;
    if (
      best === null ||
      f.free_gb < best.free_gb ||
      (f.free_gb === best.free_gb &&
        (f.booked_gb < best.booked_gb ||
          (f.booked_gb === best.booked_gb &&
            (f.agent_id < best.agent_id || (f.agent_id === best.agent_id && f.gpu_index < best.gpu_index)))))
    ) {
      best = f;
    }
  }
  return best;
};
