import { Effect } from "effect";
import { type RouteRequest, type WorkRecord, WorkRegistry } from "@homelab/registry";

/** A stored job as the router's request (what a waiting reason is diagnosed for). */
export const requestOf = (job: Pick<WorkRecord, "work_id" | "kind" | "params" | "requirements" | "timeout_seconds">): RouteRequest => ({
  work_id: job.work_id,
  kind: job.kind,
  params: job.params,
  requirements: job.requirements as RouteRequest["requirements"],
  timeout_seconds: job.timeout_seconds
});

/**
 * The head of the queue in placement order, each job with its position and
 * why it waits. One diagnosis per shape (kind + requirements): jobs of one
 * shape wait for the same reason.
 */
export const queueView = (limit: number) =>
  Effect.gen(function* () {
    const registry = yield* WorkRegistry;
    const queued = yield* registry.queue(limit);
    const reasons = new Map<string, string>();
    const shapeOf = (job: Pick<WorkRecord, "kind" | "requirements">) => `${job.kind}\u0000${JSON.stringify(job.requirements)}`;
    for (const job of queued) {
      const shape = shapeOf(job);
      if (!reasons.has(shape)) reasons.set(shape, yield* registry.waitingReason(requestOf(job)));
    }
    return queued.map((job) => ({ ...job, waiting_reason: reasons.get(shapeOf(job)) }));
  });
