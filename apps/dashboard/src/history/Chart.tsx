import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ChartSpec, Line } from "./series.ts";

const COLOURS = ["#1f5fbf", "#b3541e", "#2e7d32", "#6a1b9a"];
const DASHES: ReadonlyArray<number[] | undefined> = [undefined, [6, 4], [2, 3]];
const HEIGHT = 220;

const scaleOf = (line: Line): string => (line.unit === "%" ? "%" : "y");

const optionsFor = (spec: ChartSpec, width: number): uPlot.Options => {
  const hasPercent = spec.lines.some((l) => l.unit === "%");
  const axes: uPlot.Axis[] = [{}, { scale: "y" }];
  if (hasPercent) axes.push({ scale: "%", side: 1, grid: { show: false }, values: (_u, ticks) => ticks.map((t) => `${t} %`) });
  return {
    width,
    height: HEIGHT,
    // Lines differ by dash as well as colour, so they read without colour too.
    series: [
      {},
      ...spec.lines.map((l, i) => ({
        label: l.label,
        scale: scaleOf(l),
        stroke: COLOURS[i % COLOURS.length] ?? "#000",
        width: 2,
        ...(DASHES[i % DASHES.length] === undefined ? {} : { dash: DASHES[i % DASHES.length] ?? [] })
      }))
    ],
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] }, "%": { range: [0, 100] } },
    axes
  };
};

const dataOf = (spec: ChartSpec): uPlot.AlignedData => [[...spec.x], ...spec.lines.map((l) => [...l.values])];

/** One uPlot chart that follows its container's width. */
export const Chart = ({ spec }: { readonly spec: ChartSpec }) => {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  // The chart is made once per series layout; new points only replace its data.
  const layout = spec.lines.map((l) => `${l.label}/${l.unit}`).join("|");
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const made = new uPlot(optionsFor(spec, Math.max(200, el.clientWidth)), dataOf(spec), el);
    plot.current = made;
    const observer = new ResizeObserver(() => made.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      made.destroy();
      plot.current = null;
    };
    // New data goes in through setData below; only a new set of lines makes a new chart.
  }, [layout]);

  useEffect(() => plot.current?.setData(dataOf(spec)), [spec]);

  return (
    <figure class="chart">
      <figcaption>{spec.title}</figcaption>
      <div ref={box} class="chart-box" data-testid="history-chart" data-chart={spec.key} data-points={spec.x.length} />
    </figure>
  );
};
