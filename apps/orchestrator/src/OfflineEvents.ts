import { Effect } from "effect";
import type { OfflineTransition } from "@homelab/registry";
import { OrchestratorMetrics } from "./OrchestratorMetrics.ts";

/**
 * What follows agents going offline, by the sweep or by agent_shutdown:
 * counted, and the work lost with each named in a warning and counted.
 */
export const reportOffline = (transitions: ReadonlyArray<OfflineTransition>) =>
  Effect.gen(function* () {
    const metrics = yield* OrchestratorMetrics;
    yield* metrics.offline(transitions.length);
    for (const t of transitions) {
      if (t.lost_work.length === 0) continue;
      yield* Effect.logWarning(`agent ${t.agent_id} went offline (${t.reason}); work lost: ${t.lost_work.join(", ")}`);
      yield* metrics.workFinished("lost", t.lost_work.length);
    }
  });
