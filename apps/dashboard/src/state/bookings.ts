import type { Booking } from "../api/types.ts";

/** The same empty list every time, so an agent without bookings keeps one identity (its card stays memoised). */
export const NO_BOOKINGS: ReadonlyArray<Booking> = Object.freeze([]);

const sameBookings = (a: ReadonlyArray<Booking>, b: ReadonlyArray<Booking>): boolean =>
  a.length === b.length && a.every((x, i) => x.gpu_index === b[i]?.gpu_index && x.vram_gb === b[i]?.vram_gb);

/**
 * Bookings grouped by agent. An agent whose bookings did not change keeps
 * the array it had in `previous`, so only the cards whose bookings changed
 * re-render when a `work` event replaces every booking.
 */
export const groupBookings = (
  previous: ReadonlyMap<string, ReadonlyArray<Booking>>,
  bookings: ReadonlyArray<Booking>
): ReadonlyMap<string, ReadonlyArray<Booking>> => {
  const grouped = new Map<string, Booking[]>();
  for (const b of bookings) {
    const list = grouped.get(b.agent_id);
    if (list === undefined) grouped.set(b.agent_id, [b]);
    else list.push(b);
  }
  const out = new Map<string, ReadonlyArray<Booking>>();
  for (const [agentId, list] of grouped) {
    list.sort((x, y) => x.gpu_index - y.gpu_index || x.vram_gb - y.vram_gb);
    const before = previous.get(agentId);
    out.set(agentId, before !== undefined && sameBookings(before, list) ? before : list);
  }
  return out;
};

/** VRAM booked on one GPU of an agent (several jobs may share a GPU). */
export const bookedOnGpu = (bookings: ReadonlyArray<Booking>, gpuIndex: number): number =>
  bookings.reduce((sum, b) => (b.gpu_index === gpuIndex ? sum + b.vram_gb : sum), 0);
