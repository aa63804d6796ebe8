import { Effect } from "effect";
import { runLive } from "@homelab/testing";
import { agentRecord } from "./support/agentRecords.ts";
import { get, startApi } from "./support/startApi.ts";

describe("GET /metrics", () => {
  it("serves the Prometheus text format with what was recorded and the agents counted from the registry", async () => {
    const reply = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi([
          agentRecord("desk-1"),
          agentRecord("desk-2"),
          agentRecord("old", { status: "offline" })
        ]);
        yield* api.metrics.rejected("malformed_json");
        yield* api.metrics.rejected("malformed_json");
        yield* api.metrics.applied(5, 1);
        yield* api.metrics.offline(1);
        yield* api.metrics.recordBatch(5, 0.02);
        return yield* get(api, "/metrics");
      })
    );
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    const lines = reply.text.split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        'homelab_messages_rejected_total{reason="malformed_json"} 2',
        'homelab_messages_rejected_total{reason="schema_violation"} 0',
        "homelab_heartbeats_applied_total 5",
        "homelab_heartbeats_ignored_total 1",
        "homelab_offline_transitions_total 1",
        "homelab_ingest_batch_size_count 1",
        "homelab_ingest_commit_seconds_count 1",
        'homelab_agents{status="online"} 2',
        'homelab_agents{status="offline"} 1'
      ])
    );
  });

  it("still answers 200 with the counters when the registry is down", async () => {
    const reply = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi([agentRecord("desk-1")]);
        api.registry.failWith("connect ECONNREFUSED 127.0.0.1:5432");
        yield* api.metrics.rejected("oversized");
        return yield* get(api, "/metrics");
      })
    );
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('homelab_messages_rejected_total{reason="oversized"} 1');
    expect(reply.text).not.toContain('homelab_agents{status="online"}');
  });
});
