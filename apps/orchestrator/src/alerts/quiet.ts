import type { QuietWindow } from "./types.ts";

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes after midnight at `atMs` in `timeZone` (undefined: this process's zone). */
const minuteOfDay = (atMs: number, timeZone: string | undefined): number => {
  const key = timeZone ?? "";
  let format = formatters.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...(timeZone === undefined ? {} : { timeZone }) });
    formatters.set(key, format);
  }
  const parts = format.formatToParts(new Date(atMs));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? "0");
  return part("hour") * 60 + part("minute");
};

/** True when `at` (ISO) falls inside one of the agent's quiet windows: [from, to), crossing midnight when to < from. */
export const quietAt = (windows: ReadonlyArray<QuietWindow>, agentId: string, at: string): boolean =>
  windows.some((w) => {
    if (!w.agents.includes(agentId)) return false;
    const minute = minuteOfDay(Date.parse(at), w.timeZone);
    return w.fromMinute <= w.toMinute ? minute >= w.fromMinute && minute < w.toMinute : minute >= w.fromMinute || minute < w.toMinute;
  });
