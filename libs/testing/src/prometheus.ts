/// <reference path="./parse-prometheus-text-format.d.ts" />
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { Schema } from "effect";

// The one reader of the Prometheus text format for tests and benchmarks: the
// parse-prometheus-text-format package, its output decoded by a Schema.

const Sample = Schema.Struct({
  value: Schema.optionalKey(Schema.String),
  labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  buckets: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  count: Schema.optionalKey(Schema.String),
  sum: Schema.optionalKey(Schema.String)
});
const Family = Schema.Struct({ name: Schema.String, type: Schema.String, metrics: Schema.Array(Sample) });
const Families = Schema.Array(Family);

/** A parsed exposition: the metric families by name. */
export type Scrape = ReadonlyMap<string, typeof Family.Type>;

/** Parses a `/metrics` answer. */
export const parseMetrics = (text: string): Scrape =>
  new Map(Schema.decodeUnknownSync(Families)(parsePrometheusTextFormat(text)).map((f) => [f.name, f]));

const matches = (labels: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>>) =>
  Object.entries(wanted).every(([k, v]) => labels?.[k] === v);

/**
 * The sum of a metric's samples (those with `labels`, when given); for a
 * histogram or summary, `<name>_sum` and `<name>_count` read its sum and
 * count. NaN when the exposition has no such metric.
 */
export const metricSum = (scrape: Scrape, name: string, labels: Readonly<Record<string, string>> = {}): number => {
  const family = scrape.get(name);
  if (family !== undefined) {
    return family.metrics.filter((m) => matches(m.labels, labels)).reduce((total, m) => total + Number(m.value ?? Number.NaN), 0);
  }
  const part = /_(sum|count)$/.exec(name)?.[1];
  const whole = part === undefined ? undefined : scrape.get(name.slice(0, -part.length - 1));
  if (whole === undefined) return Number.NaN;
  return whole.metrics
    .filter((m) => matches(m.labels, labels))
    .reduce((total, m) => total + Number((part === "sum" ? m.sum : m.count) ?? Number.NaN), 0);
};

/** One metric's value per value of `label` (e.g. homelab_messages_rejected_total by reason). */
export const metricByLabel = (scrape: Scrape, name: string, label: string): Readonly<Record<string, number>> => {
  const out: Record<string, number> = {};
  for (const m of scrape.get(name)?.metrics ?? []) {
    const key = m.labels?.[label];
    if (key !== undefined) out[key] = (out[key] ?? 0) + Number(m.value ?? Number.NaN);
  }
  return out;
};

/** A histogram's cumulative buckets as [upper bound, count], ascending (summed over its label sets). */
export const histogramBuckets = (scrape: Scrape, name: string): Array<[number, number]> => {
  const totals = new Map<number, number>();
  for (const m of scrape.get(name)?.metrics ?? []) {
    for (const [le, count] of Object.entries(m.buckets ?? {})) {
      const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
      totals.set(bound, (totals.get(bound) ?? 0) + Number(count));
    }
  }
  return [...totals].sort((a, b) => a[0] - b[0]);
};
