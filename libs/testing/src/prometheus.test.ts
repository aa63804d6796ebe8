import { histogramBuckets, metricByLabel, metricSum, parseMetrics } from "./prometheus.ts";

const text = `# HELP homelab_messages_rejected_total Messages dead-lettered
# TYPE homelab_messages_rejected_total counter
homelab_messages_rejected_total{reason="oversized"} 2
homelab_messages_rejected_total{reason="unstorable"} 3
# HELP homelab_heartbeats_applied_total Heartbeats written
# TYPE homelab_heartbeats_applied_total counter
homelab_heartbeats_applied_total 10
# HELP homelab_ingest_commit_seconds Receive to commit
# TYPE homelab_ingest_commit_seconds histogram
homelab_ingest_commit_seconds_bucket{le="0.05"} 4
homelab_ingest_commit_seconds_bucket{le="0.25"} 9
homelab_ingest_commit_seconds_bucket{le="+Inf"} 10
homelab_ingest_commit_seconds_sum 1.5
homelab_ingest_commit_seconds_count 10
`;

describe("reading the Prometheus text format", () => {
  const scrape = parseMetrics(text);

  it("sums a metric's samples, by label when asked, and NaN for a metric that is not there", () => {
    expect(metricSum(scrape, "homelab_messages_rejected_total")).toBe(5);
    expect(metricSum(scrape, "homelab_messages_rejected_total", { reason: "unstorable" })).toBe(3);
    expect(metricSum(scrape, "homelab_heartbeats_applied_total")).toBe(10);
    expect(metricSum(scrape, "no_such_total")).toBeNaN();
  });

  it("reads a histogram's sum, count and cumulative buckets", () => {
    expect(metricSum(scrape, "homelab_ingest_commit_seconds_sum")).toBe(1.5);
    expect(metricSum(scrape, "homelab_ingest_commit_seconds_count")).toBe(10);
    expect(histogramBuckets(scrape, "homelab_ingest_commit_seconds")).toEqual([
      [0.05, 4],
      [0.25, 9],
      [Number.POSITIVE_INFINITY, 10]
    ]);
  });

  it("gives a metric per label value", () => {
    expect(metricByLabel(scrape, "homelab_messages_rejected_total", "reason")).toEqual({ oversized: 2, unstorable: 3 });
  });
});
