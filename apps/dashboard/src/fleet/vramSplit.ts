import type { Gpu } from "../api/types.ts";
import { clean } from "../format.ts";

export interface VramSplit {
  readonly total: number;
  readonly used: number;
  /** What our jobs booked, capped so that used + booked never passes the total. */
  readonly booked: number;
  /**
   * What a job could still get: vram_available_gb − booked, never below 0 —
   * the router's figure, the same as `GET /capacity` and the capacity finder.
   */
  readonly free: number;
  /** What the card neither uses nor offers (memory the driver reserves): total − used − booked − free. */
  readonly reserved: number;
  /** Widths of the bar segments in percent of the total (together 100, or all 0 for a 0 GB card). */
  readonly usedPct: number;
  readonly bookedPct: number;
  readonly freePct: number;
  readonly reservedPct: number;
}

/** Float noise allowed when checking that figures fit in the bar. */
const EPSILON = 1e-6;

/** Splits one GPU's VRAM into used / booked by our jobs / free / reserved for the bar. */
export const vramSplit = (gpu: Pick<Gpu, "vram_total_gb" | "vram_used_gb" | "vram_available_gb">, bookedGb: number): VramSplit => {
  const total = Math.max(0, gpu.vram_total_gb);
  const used = Math.min(Math.max(0, gpu.vram_used_gb), total);
  const booked = bookedGb > total - used ? clean(total - used) : Math.max(0, bookedGb);
  const room = Math.max(0, total - used - booked);
  // Computed exactly as the server does (no rounding), so the figure equals /capacity's; capped only when the report is inconsistent.
  const offered = Math.max(0, gpu.vram_available_gb - booked);
  const free = offered > room + EPSILON ? room : offered;
  const left = room - free;
  const reserved = left > EPSILON ? clean(left) : 0;
  const pct = (x: number): number => (total === 0 ? 0 : (x / total) * 100);
  return {
    total,
    used,
    booked,
    free,
    reserved,
    usedPct: pct(used),
    bookedPct: pct(booked),
    freePct: pct(free),
    reservedPct: pct(reserved)
  };
};
