import type { HistoryPoint } from "./decodeHistory.ts";

export interface Line {
  readonly label: string;
  /** "gb", "cores" and "%" get their own axis when a chart mixes them. */
  readonly unit: "load" | "gb" | "%";
  readonly values: ReadonlyArray<number | null>;
}

export interface ChartSpec {
  /** Stable across reloads, so a chart is updated in place instead of made again. */
  readonly key: string;
  readonly title: string;
  readonly x: ReadonlyArray<number>;
  readonly lines: ReadonlyArray<Line>;
}

/** The charts of one agent's history: CPU, memory, and one per GPU index seen in the range. */
export const historyCharts = (points: ReadonlyArray<HistoryPoint>): ReadonlyArray<ChartSpec> => {
  if (points.length === 0) return [];
  const x = points.map((p) => p.at);
  const charts: ChartSpec[] = [
    {
      key: "cpu",
      title: "CPU load (1 min)",
      x,
      lines: [
        { label: "load 1 min", unit: "load", values: points.map((p) => p.cpu_load_1min) },
        { label: "cores", unit: "load", values: points.map((p) => p.cpu_cores_total) }
      ]
    },
    {
      key: "memory",
      title: "Memory available",
      x,
      lines: [
        { label: "available GB", unit: "gb", values: points.map((p) => p.memory_available_gb) },
        { label: "total GB", unit: "gb", values: points.map((p) => p.memory_total_gb) }
      ]
    }
  ];
  const indices = [...new Set(points.flatMap((p) => p.gpus.map((g) => g.index)))].sort((a, b) => a - b);
  for (const index of indices) {
    const gpuAt = points.map((p) => p.gpus.find((g) => g.index === index));
    const name = gpuAt.find((g) => g?.name != null)?.name ?? null;
    charts.push({
      key: `gpu-${index}`,
      title: name === null ? `GPU ${index}` : `GPU ${index} — ${name}`,
      x,
      lines: [
        { label: "VRAM used GB", unit: "gb", values: gpuAt.map((g) => g?.vram_used_gb ?? null) },
        { label: "VRAM available GB", unit: "gb", values: gpuAt.map((g) => g?.vram_available_gb ?? null) },
        { label: "utilisation %", unit: "%", values: gpuAt.map((g) => g?.utilization_percent ?? null) }
      ]
    });
  }
  return charts;
};
