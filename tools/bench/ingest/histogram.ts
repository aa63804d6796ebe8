// Histograms read off /metrics: a window's buckets and their quantiles.
import { histogramBuckets, metricSum, type Scrape } from "@homelab/testing";
import { fmt } from "../support.ts";

// ---------------------------------------------------------------------------
// Prometheus text

export const sumOf = metricSum;
export const bucketsOf = histogramBuckets;

/** Buckets of `end` minus those of `start` (the window's observations). */
export const bucketDelta = (end: Scrape, start: Scrape, name: string): Array<[number, number]> => {
  const before = new Map(bucketsOf(start, name));
  return bucketsOf(end, name).map(([le, n]) => [le, n - (before.get(le) ?? 0)]);
};

/** A counter summed over several processes' scrapes. */
export const sumOver = (scrapes: ReadonlyArray<Scrape>, name: string): number => scrapes.reduce((total, s) => total + sumOf(s, name), 0);

/** bucketDelta per process (ends[i] − starts[i]), added up bucket by bucket (every process has the same bounds). */
export const bucketDeltaOver = (ends: ReadonlyArray<Scrape>, starts: ReadonlyArray<Scrape>, name: string): Array<[number, number]> => {
  const total = new Map<number, number>();
  ends.forEach((end, i) => {
    const start = starts[i];
    if (start === undefined) return;
    for (const [le, n] of bucketDelta(end, start, name)) total.set(le, (total.get(le) ?? 0) + n);
  });
  return [...total].sort(([a], [b]) => a - b);
};

/** The upper bound of the bucket holding quantile q (the true value is at most this). */
export const bucketQuantile = (buckets: ReadonlyArray<[number, number]>, q: number): number => {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = Math.ceil(q * total);
  for (const [le, n] of buckets) if (n >= rank) return le;
  return Number.POSITIVE_INFINITY;
};

export const showBound = (seconds: number, unit: "ms" | "" = "ms"): string =>
  Number.isNaN(seconds)
    ? "—"
    : seconds === Number.POSITIVE_INFINITY
      ? "> largest bucket"
      : unit === "ms"
        ? `≤ ${fmt(seconds * 1000, seconds < 0.01 ? 1 : 0)} ms`
        : `≤ ${fmt(seconds)}`;
