import { decode } from "../src/api/decodeKit.ts";
import { decodeHistory } from "../src/history/decodeHistory.ts";
import { historyPath } from "../src/history/historyRange.ts";
import { historyCharts } from "../src/history/series.ts";

const point = (at: string, over: Record<string, unknown> = {}) => ({
  at,
  cpu_load_1min: 1.5,
  cpu_cores_total: 16,
  memory_available_gb: 40,
  memory_total_gb: 64,
  gpus: [{ index: 0, name: "RTX 4090", vram_used_gb: 6, vram_available_gb: 18, utilization_percent: 30 }],
  ...over
});

const history = (value: unknown) => {
  const r = decode(decodeHistory, value);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe("agent history", () => {
  test("the request covers the chosen range up to now, as ISO times", () => {
    const now = Date.parse("2025-01-02T00:00:00.000Z");
    expect(historyPath("gaming pc", "24h", now)).toBe(
      "/agents/gaming%20pc/history?since=2025-01-01T00%3A00%3A00.000Z&until=2025-01-02T00%3A00%3A00.000Z"
    );
    expect(historyPath("a", "1h", now)).toContain("since=2025-01-01T23%3A00%3A00.000Z");
  });

  test("points decode from {points: [...]} and come out oldest first, in unix seconds", () => {
    const h = history({ points: [point("2025-01-01T00:01:00Z"), point("2025-01-01T00:00:00Z")] });
    expect(h.points.map((p) => p.at)).toEqual([Date.parse("2025-01-01T00:00:00Z") / 1000, Date.parse("2025-01-01T00:01:00Z") / 1000]);
  });

  test("a bare array of heartbeat-like points with figures under resource_metrics decodes too", () => {
    const h = history([{ collected_at: "2025-01-01T00:00:00Z", resource_metrics: { cpu_load_1min: 2, cpu_cores_total: 8, gpus: [] } }]);
    expect(h.points[0]).toMatchObject({ cpu_load_1min: 2, cpu_cores_total: 8, memory_available_gb: null });
  });

  test("a point without a time is dropped and counted; a missing figure becomes a gap", () => {
    const h = history({ points: [point("2025-01-01T00:00:00Z", { memory_available_gb: "lots" }), { cpu_load_1min: 1 }] });
    expect(h.points).toHaveLength(1);
    expect(h.points[0]?.memory_available_gb).toBeNull();
    expect(h.problems).toHaveLength(1);
  });

  test("an answer with no list of points is malformed", () => {
    expect(decode(decodeHistory, { agent_id: "a" }).ok).toBe(false);
  });

  test("the charts are CPU with cores, memory, and one per GPU with used, available and utilisation", () => {
    const h = history({
      points: [point("2025-01-01T00:00:00Z"), point("2025-01-01T00:01:00Z", { gpus: [{ index: 1, name: "RTX 3060", vram_used_gb: 1, vram_available_gb: 11, utilization_percent: null }] })]
    });
    const charts = historyCharts(h.points);
    expect(charts.map((c) => [c.key, c.title, c.lines.map((l) => l.label)])).toEqual([
      ["cpu", "CPU load (1 min)", ["load 1 min", "cores"]],
      ["memory", "Memory available", ["available GB", "total GB"]],
      ["gpu-0", "GPU 0 — RTX 4090", ["VRAM used GB", "VRAM available GB", "utilisation %"]],
      ["gpu-1", "GPU 1 — RTX 3060", ["VRAM used GB", "VRAM available GB", "utilisation %"]]
    ]);
    // GPU 0 is absent from the second point: a gap, not a zero.
    expect(charts[2]?.lines[0]?.values).toEqual([6, null]);
    expect(charts[3]?.lines[2]?.values).toEqual([null, null]);
    expect(charts.every((c) => c.x.length === 2)).toBe(true);
  });

  test("no points make no charts", () => {
    expect(historyCharts([])).toEqual([]);
  });
});
