import { Effect } from "effect";
import type { OfflineTransition } from "@homelab/registry";
import { OrchestratorMetrics } from "./OrchestratorMetrics.ts";
import type { Dispatcher } from "./work/Dispatcher.ts";

/**
 * What follows agents going offline, by the sweep or by agent_shutdown:
 * counted, and the work lost with each named in a warning and counted. Each
 * lost job gets a work_cancel on its agent's control queue, so an agent that
 * comes back never starts a job the orchestrator has already ended.
 */
export const reportOffline = (transitions: ReadonlyArray<OfflineTransition>, dispatcher?: Dispatcher["Service"]) =>
  Effect.gen(function* () {
    const metrics = yield* OrchestratorMetrics;
    yield* metrics.offline(transitions.length);
    for (const t of transitions) {
      if (t.lost_work.length === 0) continue;
      yield* Effect.logWarning(`agent ${t.agent_id} went offline (${t.reason}); work lost: ${t.lost_work.join(", ")}`);
      yield* metrics.workFinished("lost", t.lost_work.length);
      if (dispatcher === undefined) continue;
      for (const workId of t.lost_work) {
        yield* dispatcher
          .cancel(t.agent_id, workId, "lost: its agent went offline")
          .pipe(Effect.catch((e) => Effect.logWarning(`work ${workId} lost; ${t.agent_id} could not be told not to start it: ${e.message}`)));
      }
    }
  });
