import { Effect, Layer } from "effect";
import { runLive } from "@homelab/testing";
import { REJECT_REASONS } from "@homelab/protocol";
import { OrchestratorMetrics, type OrchestratorMetricsShape } from "../src/OrchestratorMetrics.ts";
import { agentRecord } from "./support/agentRecords.ts";
import { makeTestRegistry, type TestRegistryControl } from "./support/TestRegistry.ts";

/** Runs `body` with a fresh OrchestratorMetrics over a test registry holding `agents`. */
const withMetrics = <A>(
  agents: Parameters<typeof makeTestRegistry>[0],
  body: (metrics: OrchestratorMetricsShape, registry: TestRegistryControl) => Effect.Effect<A>
): Promise<A> => {
  const registry = makeTestRegistry(agents);
  return runLive(
    Effect.gen(function* () {
      return yield* body(yield* OrchestratorMetrics, registry.control);
    }).pipe(
      Effect.provide(OrchestratorMetrics.layer.pipe(Layer.provide(registry.layer)))
    )
  );
};

/** The value of one sample line, e.g. `messages_rejected_total{reason="malformed_json"}`. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("OrchestratorMetrics", () => {
  it("counts rejected messages by reason, every reason present from the start at 0", async () => {
    const text = await withMetrics([], (metrics) =>
      Effect.gen(function* () {
        yield* metrics.rejected("malformed_json");
        yield* metrics.rejected("malformed_json");
        yield* metrics.rejected("unsupported");
        return yield* metrics.render;
      })
    );
    expect(sample(text, 'messages_rejected_total{reason="malformed_json"}')).toBe(2);
    expect(sample(text, 'messages_rejected_total{reason="unsupported"}')).toBe(1);
    for (const reason of REJECT_REASONS.filter((r) => r !== "malformed_json" && r !== "unsupported")) {
      expect(sample(text, `messages_rejected_total{reason="${reason}"}`)).toBe(0);
    }
  });

  it("counts applied and stale heartbeats, offline transitions, and observes batch size and commit latency", async () => {
    const text = await withMetrics([], (metrics) =>
      Effect.gen(function* () {
        yield* metrics.applied(40, 2);
        yield* metrics.applied(8, 0);
        yield* metrics.offline(3);
        yield* metrics.recordBatch(50, 0.004);
        yield* metrics.recordBatch(1, 0.2);
        return yield* metrics.render;
      })
    );
    expect(sample(text, "heartbeats_applied_total")).toBe(48);
    expect(sample(text, "heartbeats_ignored_total")).toBe(2);
    expect(sample(text, "offline_transitions_total")).toBe(3);
    expect(sample(text, "ingest_batch_size_count")).toBe(2);
    expect(sample(text, "ingest_batch_size_sum")).toBe(51);
    expect(sample(text, 'ingest_batch_size_bucket{le="1"}')).toBe(1);
    expect(sample(text, 'ingest_batch_size_bucket{le="50"}')).toBe(2);
    expect(sample(text, 'ingest_batch_size_bucket{le="1000"}')).toBe(2);
    expect(sample(text, "ingest_commit_seconds_count")).toBe(2);
    expect(sample(text, 'ingest_commit_seconds_bucket{le="0.001"}')).toBe(0);
    expect(sample(text, 'ingest_commit_seconds_bucket{le="0.005"}')).toBe(1);
    expect(sample(text, 'ingest_commit_seconds_bucket{le="5"}')).toBe(2);
    expect(text).toContain("# TYPE ingest_commit_seconds histogram");
  });

  it("counts agents by liveness from the registry at each scrape", async () => {
    const scrapes = await withMetrics(
      [agentRecord("a"), agentRecord("b"), agentRecord("c", { status: "offline" })],
      (metrics, registry) =>
        Effect.gen(function* () {
          const first = yield* metrics.render;
          registry.setAgents([agentRecord("a", { status: "offline" })]);
          const second = yield* metrics.render;
          return { first, second };
        })
    );
    expect(sample(scrapes.first, 'agents{status="online"}')).toBe(2);
    expect(sample(scrapes.first, 'agents{status="offline"}')).toBe(1);
    expect(sample(scrapes.second, 'agents{status="online"}')).toBe(0);
    expect(sample(scrapes.second, 'agents{status="offline"}')).toBe(1);
  });

  it("still renders the other metrics, without stale agent counts, when the registry fails", async () => {
    const scrapes = await withMetrics([agentRecord("a")], (metrics, registry) =>
      Effect.gen(function* () {
        const healthy = yield* metrics.render;
        registry.failWith("connect ECONNREFUSED");
        yield* metrics.rejected("oversized");
        const failing = yield* metrics.render;
        return { healthy, failing };
      })
    );
    expect(sample(scrapes.healthy, 'agents{status="online"}')).toBe(1);
    expect(sample(scrapes.failing, 'agents{status="online"}')).toBeUndefined();
    expect(sample(scrapes.failing, 'messages_rejected_total{reason="oversized"}')).toBe(1);
  });

  it("keeps each layer's counters to itself (no shared global registry)", async () => {
    const first = await withMetrics([], (metrics) =>
      Effect.andThen(metrics.rejected("not_utf8"), metrics.render)
    );
    const second = await withMetrics([], (metrics) => metrics.render);
    expect(sample(first, 'messages_rejected_total{reason="not_utf8"}')).toBe(1);
    expect(sample(second, 'messages_rejected_total{reason="not_utf8"}')).toBe(0);
  });
});
