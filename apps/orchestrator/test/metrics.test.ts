import { spawnSync } from "node:child_process";
import { Effect, Layer } from "effect";
import { runLive } from "@homelab/testing";
import { REJECT_REASONS } from "@homelab/protocol";
import { OrchestratorMetrics, type OrchestratorMetricsShape } from "../src/OrchestratorMetrics.ts";
import { agentRecord, gpu } from "./support/agentRecords.ts";
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
      Effect.provide(OrchestratorMetrics.layer.pipe(Layer.provide(Layer.merge(registry.layer, registry.workForMetrics))))
    )
  );
};

/** The value of one sample line, e.g. `homelab_messages_rejected_total{reason="malformed_json"}`. */
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
    expect(sample(text, 'homelab_messages_rejected_total{reason="malformed_json"}')).toBe(2);
    expect(sample(text, 'homelab_messages_rejected_total{reason="unsupported"}')).toBe(1);
    for (const reason of REJECT_REASONS.filter((r) => r !== "malformed_json" && r !== "unsupported")) {
      expect(sample(text, `homelab_messages_rejected_total{reason="${reason}"}`)).toBe(0);
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
    expect(sample(text, "homelab_heartbeats_applied_total")).toBe(48);
    expect(sample(text, "homelab_heartbeats_ignored_total")).toBe(2);
    expect(sample(text, "homelab_offline_transitions_total")).toBe(3);
    expect(sample(text, "homelab_ingest_batch_size_count")).toBe(2);
    expect(sample(text, "homelab_ingest_batch_size_sum")).toBe(51);
    expect(sample(text, 'homelab_ingest_batch_size_bucket{le="1"}')).toBe(1);
    expect(sample(text, 'homelab_ingest_batch_size_bucket{le="50"}')).toBe(2);
    expect(sample(text, 'homelab_ingest_batch_size_bucket{le="1000"}')).toBe(2);
    expect(sample(text, "homelab_ingest_commit_seconds_count")).toBe(2);
    expect(sample(text, 'homelab_ingest_commit_seconds_bucket{le="0.001"}')).toBe(0);
    expect(sample(text, 'homelab_ingest_commit_seconds_bucket{le="0.005"}')).toBe(1);
    expect(sample(text, 'homelab_ingest_commit_seconds_bucket{le="5"}')).toBe(2);
    expect(text).toContain("# TYPE homelab_ingest_commit_seconds histogram");
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
    expect(sample(scrapes.first, 'homelab_agents{status="online"}')).toBe(2);
    expect(sample(scrapes.first, 'homelab_agents{status="offline"}')).toBe(1);
    expect(sample(scrapes.second, 'homelab_agents{status="online"}')).toBe(0);
    expect(sample(scrapes.second, 'homelab_agents{status="offline"}')).toBe(1);
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
    expect(sample(scrapes.healthy, 'homelab_agents{status="online"}')).toBe(1);
    expect(sample(scrapes.failing, 'homelab_agents{status="online"}')).toBeUndefined();
    expect(sample(scrapes.failing, 'homelab_messages_rejected_total{reason="oversized"}')).toBe(1);
  });

  it("keeps each layer's counters to itself (no shared global registry)", async () => {
    const first = await withMetrics([], (metrics) =>
      Effect.andThen(metrics.rejected("not_utf8"), metrics.render)
    );
    const second = await withMetrics([], (metrics) => metrics.render);
    expect(sample(first, 'homelab_messages_rejected_total{reason="not_utf8"}')).toBe(1);
    expect(sample(second, 'homelab_messages_rejected_total{reason="not_utf8"}')).toBe(0);
  });
});

describe("fleet series (homelab_*), read from the registry at scrape time", () => {
  const fleet = [
    agentRecord("gaming-pc", { pool: "gpu_pool_1", gpus: [gpu(0, 24, 9.8), gpu(1, 12, 12)] }),
    agentRecord("old-nas", { status: "offline" }),
    // A GPU name as a tool might print it: quotes, a backslash, a newline (the text format escapes all three).
    agentRecord("odd-box", { gpus: [{ ...gpu(0, 8, 8), name: 'Card "X" C:\\dev\nrev2' }] })
  ];

  it("says which agents are up, and each GPU's VRAM in bytes with agent, index, name, vendor and uuid labels", async () => {
    const text = await withMetrics(fleet, (metrics) => metrics.render);
    const GiB = 1024 ** 3;
    expect(sample(text, 'homelab_agent_up{agent="gaming-pc",pool="gpu_pool_1",status="online"}')).toBe(1);
    expect(sample(text, 'homelab_agent_up{agent="old-nas",pool="desktop_pool_1",status="offline"}')).toBe(0);
    const gpu0 = 'agent="gaming-pc",index="0",name="NVIDIA GeForce RTX 4090",vendor="nvidia",uuid="GPU-00000000"';
    expect(sample(text, `homelab_gpu_vram_available_bytes{${gpu0}}`)).toBeCloseTo(9.8 * GiB, -3);
    expect(sample(text, `homelab_gpu_vram_total_bytes{${gpu0}}`)).toBe(24 * GiB);
    expect(sample(text, `homelab_gpu_vram_booked_bytes{${gpu0}}`)).toBe(0);
    expect(sample(text, 'homelab_agent_cpu_cores_available{agent="gaming-pc"}')).toBe(15);
    expect(sample(text, "homelab_work_queued")).toBe(0);
    expect(sample(text, 'homelab_gpu_vram_total_bytes{agent="odd-box",index="0",name="Card \\"X\\" C:\\\\dev\\nrev2",vendor="nvidia",uuid="GPU-00000000"}')).toBe(8 * GiB);
    // An offline agent's last figures are not shown as current.
    expect(text).not.toMatch(/homelab_agent_cpu_cores_available\{agent="old-nas"\}/);
    // Process metrics are there, without the three gauges promtool refuses.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).not.toMatch(/nodejs_active_handles_total/);
  });

  it("passes `promtool check metrics` (Debian's prometheus package; .ci/run installs it)", async () => {
    const text = await withMetrics(fleet, (metrics) => metrics.render);
    const checked = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    if (checked.error !== undefined) throw new Error(`promtool is not installed (apt-get install prometheus): ${checked.error.message}`);
    expect({ status: checked.status, said: `${checked.stdout}${checked.stderr}`.trim() }).toEqual({ status: 0, said: "" });
  });
});
