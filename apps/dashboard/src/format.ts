// How figures read on the page. Pure, so the rules are unit-tested.

/** "12.3 GB": always one decimal, so columns line up. */
export const formatGb = (gb: number): string => `${(Object.is(gb, -0) ? 0 : gb).toFixed(1)} GB`;

/** A whole number as is, anything else with one decimal ("16", "1.5"). */
export const formatCount = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** CPU load against the machine's cores: "1.5 / 16 cores". */
export const formatLoad = (load1: number, cores: number): string => `${load1.toFixed(1)} / ${formatCount(cores)} cores`;

export const formatPercent = (p: number | null): string => (p === null ? "—" : `${Math.round(p)} %`);

export const formatTemperature = (c: number | null): string => (c === null ? "—" : `${Math.round(c)} °C`);

/**
 * How long ago, from whole seconds: "12 s ago", "3 min ago", "2 h 5 min ago",
 * "3 d ago". A small negative age (the server clock a little ahead of the
 * offset we measured) reads as "0 s ago".
 */
export const formatAge = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h ago` : `${h} h ${min % 60} min ago`;
  return `${Math.floor(h / 24)} d ago`;
};

/** Seconds from an ISO time to `nowMs` (server time); null when the time does not parse. */
export const ageSeconds = (iso: string, nowMs: number): number | null => {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : (nowMs - at) / 1000;
};

const pad = (n: number): string => String(n).padStart(2, "0");

/**
 * A time in the browser's zone: "14:03:09" today, "2024-03-01 14:03" on
 * another day; "—" for none, the raw text when it does not parse.
 */
export const formatTime = (iso: string | null, now: Date = new Date()): string => {
  if (iso === null) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return sameDay ? `${hm}:${pad(d.getSeconds())}` : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
};

/** "1 h 2 min", "3 min 4 s", "5 s": how long between two ISO times, or null. */
export const formatDuration = (fromIso: string | null, toIso: string | null): string | null => {
  if (fromIso === null || toIso === null) return null;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (Number.isNaN(ms) || ms < 0) return null;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${s % 60} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
};

/** Removes float noise from a derived GB figure (24 − 10.3 − 4 is 9.700000000000001) without rounding what was measured. */
export const clean = (x: number): number => Math.round(x * 1e6) / 1e6;
