import { randomUUID } from "node:crypto";
import { Clock, Data, Effect, Schema } from "effect";
import { makeEnvelope, ORCHESTRATOR_SENDER, WorkRequest, WorkRequirements } from "@homelab/protocol";
import { type RegistryError, type WorkRecord, WorkRegistry } from "@homelab/registry";
import { Dispatcher, type DispatchFailed } from "./Dispatcher.ts";

/** The longest a job may ask to run: a week. */
export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
export const DEFAULT_TIMEOUT_SECONDS = 3600;

/**
 * `POST /work`'s body. `kind` is required; `params` (strings filling the
 * kind's argv slots) and `requirements` default to none, `timeout_seconds` to
 * an hour. Any other field is refused, so a typo ("requirement") is a 400
 * rather than a job that silently ignores what was asked.
 */
export const WorkSubmission = Schema.Struct({
  kind: WorkRequest.fields.kind,
  params: Schema.optionalKey(WorkRequest.fields.params),
  requirements: Schema.optionalKey(WorkRequirements),
  timeout_seconds: Schema.optionalKey(
    WorkRequest.fields.timeout_seconds.check(
      Schema.isLessThanOrEqualTo(MAX_TIMEOUT_SECONDS, { expected: `a number > 0 and at most ${MAX_TIMEOUT_SECONDS} (a week)` })
    )
  ),
  /** Queue order: higher first (default 0). */
  priority: Schema.optionalKey(
    Schema.Finite.check(Schema.isInt(), Schema.isBetween({ minimum: -1000, maximum: 1000 }, { expected: "an integer from -1000 to 1000" }))
  ),
  /** How long it may wait in the queue before it ends `expired` (default: as long as it takes). */
  max_wait_seconds: Schema.optionalKey(
    Schema.Finite.check(Schema.isBetween({ minimum: 1, maximum: MAX_TIMEOUT_SECONDS }, { expected: `a number from 1 to ${MAX_TIMEOUT_SECONDS} (a week)` }))
  ),
  /** false: refuse (409) rather than queue when nothing has room now. */
  queue: Schema.optionalKey(Schema.Boolean)
});
export type WorkSubmission = typeof WorkSubmission.Type;

/** No agent can take the job now (with `queue: false`) or ever; nothing was stored or queued. */
export class NoAgentFits extends Data.TaggedError("NoAgentFits")<{ readonly message: string }> {}

export interface Submitted {
  readonly work: WorkRecord;
  /** Set when the job was queued: why it waits. */
  readonly waiting: string | undefined;
  /** How long choosing and booking the agent took (ms), for /metrics. */
  readonly routeMs: number;
}

/**
 * Hands booked work to its agent: publish the work_request to the agent's
 * queue (confirmed), then mark it dispatched. If the publish fails the
 * booking is ended as `failed` with the reason, releasing what it held.
 */
export const dispatchBooked = (work: WorkRecord) =>
  Effect.gen(function* (): Effect.fn.Return<WorkRecord, DispatchFailed | RegistryError, WorkRegistry | Dispatcher> {
    const registry = yield* WorkRegistry;
    const dispatcher = yield* Dispatcher;
    const agentId = work.agent_id ?? "";
    const now = yield* Clock.currentTimeMillis;
    const request = makeEnvelope({
      message_id: randomUUID(),
      sent_at: new Date(now).toISOString(),
      type: "work_request",
      sender: ORCHESTRATOR_SENDER,
      correlation_id: work.work_id,
      payload: {
        work_id: work.work_id,
        kind: work.kind,
        params: work.params,
        requirements: work.requirements as WorkRequirements,
        timeout_seconds: work.timeout_seconds,
        // Not started within its own timeout, it never starts: by then the orchestrator times it out.
        expires_at: new Date(now + work.timeout_seconds * 1000).toISOString()
      }
    });
    yield* dispatcher.dispatch(agentId, request).pipe(
      Effect.tapError((e) => registry.fail(work.work_id, `not dispatched to ${agentId}: ${e.message}`).pipe(Effect.ignore))
    );
    yield* registry.markDispatched(work.work_id);
    yield* Effect.logInfo(`work ${work.work_id} (${work.kind}) dispatched to ${agentId}`);
    const stored = yield* registry.get(work.work_id);
    return stored._tag === "Some" ? stored.value : work;
  });

/**
 * Routes a job and hands it to its agent (dispatchBooked). When nothing has
 * room now it is queued (unless `queue: false`) with the reason it waits,
 * and placed as soon as room appears; a job no registered agent could ever
 * take is refused. A job whose kind and requirements match one already
 * waiting queues behind it, so equal jobs keep their order.
 */
export const submitWork = (submission: WorkSubmission) =>
  Effect.gen(function* (): Effect.fn.Return<Submitted, NoAgentFits | DispatchFailed | RegistryError, WorkRegistry | Dispatcher> {
    const registry = yield* WorkRegistry;
    const work_id = randomUUID();
    const payload = {
      work_id,
      kind: submission.kind,
      params: submission.params ?? {},
      requirements: submission.requirements ?? {},
      timeout_seconds: submission.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS
    };
    const priority = submission.priority ?? 0;
    const queueing = submission.queue !== false;
    const before = yield* Clock.currentTimeMillis;
    const behindEqual = queueing && (yield* registry.hasQueuedLike(payload));
    const outcome = behindEqual ? ({ _tag: "NoFit", reason: "" } as const) : yield* registry.route(payload, priority, !queueing);
    const routeMs = (yield* Clock.currentTimeMillis) - before;
    if (outcome._tag === "Booked") return { work: yield* dispatchBooked(outcome.work), routeMs, waiting: undefined };
    if (!queueing) return yield* new NoAgentFits({ message: `no agent can take this work now: ${outcome.reason}` });
    const impossible = yield* registry.impossible(payload);
    if (impossible._tag === "Some") return yield* new NoAgentFits({ message: `no agent can ever take this work: ${impossible.value}` });
    const work = yield* registry.enqueue(payload, { priority, maxWaitSeconds: submission.max_wait_seconds });
    const reason = yield* registry.waitingReason(payload);
    yield* Effect.logInfo(`work ${work_id} (${submission.kind}) queued: ${reason}`);
    return { work, routeMs, waiting: reason };
  });
