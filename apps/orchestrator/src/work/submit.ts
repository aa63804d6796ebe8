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
  )
});
export type WorkSubmission = typeof WorkSubmission.Type;

/** No online agent can take the job now; nothing was stored or queued. */
export class NoAgentFits extends Data.TaggedError("NoAgentFits")<{ readonly message: string }> {}

export interface Submitted {
  readonly work: WorkRecord;
  /** How long choosing and booking the agent took (ms), for /metrics. */
  readonly routeMs: number;
}

/**
 * Routes a job and hands it to its agent: book (the registry picks the agent
 * and GPU under its routing lock), publish the work_request to the agent's
 * queue (confirmed), then mark it dispatched. If the publish fails the booking
 * is ended as `failed` with the reason, releasing what it held.
 */
export const submitWork = (submission: WorkSubmission) =>
  Effect.gen(function* (): Effect.fn.Return<Submitted, NoAgentFits | DispatchFailed | RegistryError, WorkRegistry | Dispatcher> {
    const registry = yield* WorkRegistry;
    const dispatcher = yield* Dispatcher;
    const work_id = randomUUID();
    const payload = {
      work_id,
      kind: submission.kind,
      params: submission.params ?? {},
      requirements: submission.requirements ?? {},
      timeout_seconds: submission.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS
    };
    const before = yield* Clock.currentTimeMillis;
    const outcome = yield* registry.route(payload);
    const routeMs = (yield* Clock.currentTimeMillis) - before;
    if (outcome._tag === "NoFit") return yield* new NoAgentFits({ message: `no agent can take this work now: ${outcome.reason}` });
    const agentId = outcome.work.agent_id;
    const now = yield* Clock.currentTimeMillis;
    const request = makeEnvelope({
      message_id: randomUUID(),
      sent_at: new Date(now).toISOString(),
      type: "work_request",
      sender: ORCHESTRATOR_SENDER,
      correlation_id: work_id,
      payload
    });
    yield* dispatcher.dispatch(agentId, request).pipe(
      Effect.tapError((e) => registry.fail(work_id, `not dispatched to ${agentId}: ${e.message}`).pipe(Effect.ignore))
    );
    yield* registry.markDispatched(work_id);
    yield* Effect.logInfo(`work ${work_id} (${submission.kind}) dispatched to ${agentId}`);
    const work = yield* registry.get(work_id);
    return { work: work._tag === "Some" ? work.value : outcome.work, routeMs };
  });
