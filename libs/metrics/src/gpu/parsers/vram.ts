import { BYTES_PER_GB, round } from "../../units.ts";
import type { GpuReading } from "../GpuReading.ts";

export const BYTES_PER_MIB = 1024 ** 2;

/** Memory figures as a tool printed them, in one unit; null where not reported. */
export interface VramAmounts {
  readonly total: number | null;
  readonly used: number | null;
  /** The tool's own free figure, when it prints one. */
  readonly free: number | null;
}

export type VramGb = Pick<GpuReading, "vram_total_gb" | "vram_used_gb" | "vram_available_gb">;

/**
 * Converts to wire GB (1024³ bytes, 3 decimals). Available is the tool's own
 * free figure where it prints one (nvidia-smi's free excludes reserved memory,
 * so it is not total − used) and total − used only where it prints none.
 */
export const vramGb = (amounts: VramAmounts, bytesPerUnit: number): VramGb => {
  const gb = (amount: number | null): number | null =>
    amount === null ? null : round((amount * bytesPerUnit) / BYTES_PER_GB);
  const available =
    amounts.free ??
    (amounts.total !== null && amounts.used !== null ? Math.max(0, amounts.total - amounts.used) : null);
  return { vram_total_gb: gb(amounts.total), vram_used_gb: gb(amounts.used), vram_available_gb: gb(available) };
};
