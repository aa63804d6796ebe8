export type RangeKey = "1h" | "6h" | "24h" | "7d";

export const RANGES: ReadonlyArray<{ readonly key: RangeKey; readonly label: string; readonly seconds: number }> = [
  { key: "1h", label: "last 1 h", seconds: 3600 },
  { key: "6h", label: "last 6 h", seconds: 6 * 3600 },
  { key: "24h", label: "last 24 h", seconds: 24 * 3600 },
  { key: "7d", label: "last 7 d", seconds: 7 * 24 * 3600 }
];

export const DEFAULT_RANGE: RangeKey = "24h";

/** How often the History tab reloads while it is visible. */
export const HISTORY_REFRESH_MS = 60_000;

/** `/agents/<id>/history?since=…&until=…` for the range ending at `nowMs` (the server's clock). */
export const historyPath = (agentId: string, range: RangeKey, nowMs: number): string => {
  const seconds = RANGES.find((r) => r.key === range)?.seconds ?? 24 * 3600;
  const query = new URLSearchParams({
    since: new Date(nowMs - seconds * 1000).toISOString(),
    until: new Date(nowMs).toISOString()
  });
  return `/agents/${encodeURIComponent(agentId)}/history?${query.toString()}`;
};
