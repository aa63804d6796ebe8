import type { VramSplit } from "./vramSplit.ts";

// The bar's colours (kept in step with styles.css's --used, --booked, --free).
const USED = "#334155";
const BOOKED = "#1d4ed8";
const FREE = "#d7f2df";
const RESERVED = "#b8c0c9";

const pct = (x: number): string => `${Math.round(x * 100) / 100}%`;

/** The VRAM bar as one CSS gradient: used, booked, free, reserved from left to right, hard stops between them. */
export const barBackground = (split: Pick<VramSplit, "usedPct" | "bookedPct" | "freePct" | "reservedPct">): string => {
  const a = split.usedPct;
  const b = a + split.bookedPct;
  const c = b + split.freePct;
  return `linear-gradient(to right, ${USED} 0 ${pct(a)}, ${BOOKED} ${pct(a)} ${pct(b)}, ${FREE} ${pct(b)} ${pct(c)}, ${RESERVED} ${pct(c)} 100%)`;
};
