import { ageSeconds, clean, formatAge, formatDuration, formatGb, formatLoad, formatPercent, formatTemperature, formatTime } from "../src/format.ts";

describe("formatting figures", () => {
  test("GB figures always show one decimal", () => {
    expect([formatGb(24), formatGb(10.26), formatGb(0.04), formatGb(-0)]).toEqual(["24.0 GB", "10.3 GB", "0.0 GB", "0.0 GB"]);
  });

  test("CPU load reads against the core count", () => {
    expect(formatLoad(1.5, 16)).toBe("1.5 / 16 cores");
    expect(formatLoad(0.123, 7.5)).toBe("0.1 / 7.5 cores");
  });

  test("missing utilisation and temperature show a dash", () => {
    expect([formatPercent(null), formatPercent(36.6), formatTemperature(null), formatTemperature(61.2)]).toEqual(["—", "37 %", "—", "61 °C"]);
  });

  test("ages read in seconds, minutes, hours and days, never negative", () => {
    expect([-2, 0, 12.9, 59, 60, 3599, 3600, 3660, 86399, 90000].map(formatAge)).toEqual([
      "0 s ago",
      "0 s ago",
      "12 s ago",
      "59 s ago",
      "1 min ago",
      "59 min ago",
      "1 h ago",
      "1 h 1 min ago",
      "23 h 59 min ago",
      "1 d ago"
    ]);
  });

  test("the age of a heartbeat is measured against the given (server) now", () => {
    expect(ageSeconds("2025-01-01T00:00:00.000Z", Date.parse("2025-01-01T00:00:12.500Z"))).toBe(12.5);
    expect(ageSeconds("not a time", 0)).toBeNull();
  });

  test("times today show the time of day, other days the date too", () => {
    const now = new Date(2025, 2, 1, 15, 0, 0);
    expect(formatTime(new Date(2025, 2, 1, 14, 3, 9).toISOString(), now)).toBe("14:03:09");
    expect(formatTime(new Date(2025, 1, 28, 9, 5, 0).toISOString(), now)).toBe("2025-02-28 09:05");
    expect(formatTime(null, now)).toBe("—");
    expect(formatTime("garbage", now)).toBe("garbage");
  });

  test("durations between two times", () => {
    expect(formatDuration("2025-01-01T00:00:00Z", "2025-01-01T00:00:05Z")).toBe("5 s");
    expect(formatDuration("2025-01-01T00:00:00Z", "2025-01-01T00:03:04Z")).toBe("3 min 4 s");
    expect(formatDuration("2025-01-01T00:00:00Z", "2025-01-01T01:02:00Z")).toBe("1 h 2 min");
    expect(formatDuration(null, "2025-01-01T00:00:00Z")).toBeNull();
  });

  test("derived figures lose float noise but keep real precision", () => {
    expect(clean(24 - 10.3 - 4)).toBe(9.7);
    expect(clean(1.23456)).toBe(1.23456);
  });
});
