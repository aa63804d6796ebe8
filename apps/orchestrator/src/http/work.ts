import { Effect, Layer, Option, Schema } from "effect";
import { HttpRouter } from "effect/http";
import { WorkRegistry, WORK_STATES } from "@homelab/registry";
import { OrchestratorMetrics } from "../OrchestratorMetrics.ts";
import { Dispatcher } from "../work/Dispatcher.ts";
import { Placer } from "../work/Placer.ts";
import { queueView, requestOf } from "../work/queueView.ts";
import { submitWork, WorkSubmission } from "../work/submit.ts";
import { requireReadToken, requireToken } from "./auth.ts";
import { decodeJsonBody } from "./body.ts";
import { Conflict, databaseUnavailable, handle, jsonResponse, NotFound, Unavailable } from "./errors.ts";
import { decodeQuery, Limit, NonEmpty, OneOf, pathId, WORK_ID_PATH } from "./query.ts";

/**
 * `POST /work`: 202 with the booked work (its `work_id`, `agent_id`, GPU and
 * allocation), or 202 `queued` with its `waiting_reason` when nothing has
 * room now; 409 with the reason when no registered agent could ever take it
 * (or nothing has room and `queue` is false), 503 when the broker or
 * database cannot take it.
 */
const postWork = HttpRouter.add(
  "POST",
  "/work",
  handle(
    Effect.gen(function* () {
      yield* requireToken;
      yield* decodeQuery(Schema.Struct({}));
      const submission = yield* decodeJsonBody(WorkSubmission);
      const metrics = yield* OrchestratorMetrics;
      const submitted = yield* submitWork(submission).pipe(
        Effect.tapError((e) => metrics.workSubmitted(e._tag === "NoAgentFits" ? "no_fit" : "unavailable")),
        Effect.catchTags({
          NoAgentFits: (e) => Effect.fail(new Conflict({ message: e.message })),
          DispatchFailed: (e) => Effect.fail(new Unavailable({ message: `work not dispatched, broker unavailable: ${e.message}` })),
          RegistryError: (e) => Effect.fail(databaseUnavailable(e))
        })
      );
      yield* metrics.routed(submitted.routeMs / 1000);
      if (submitted.waiting === undefined) {
        yield* metrics.workSubmitted("dispatched");
        return jsonResponse(submitted.work, 202);
      }
      // Placed by the next pass that sees room for it: a heartbeat or result from an agent that could take it, or the periodic pass.
      yield* metrics.workSubmitted("queued");
      return jsonResponse({ ...submitted.work, waiting_reason: submitted.waiting }, 202);
    })
  )
);

/** `GET /work` query: state and agent filters, and how many (newest first). */
export const WorkQuery = Schema.Struct({
  status: Schema.optionalKey(OneOf(WORK_STATES)),
  agent: Schema.optionalKey(NonEmpty("agent_id")),
  limit: Schema.optionalKey(Limit(1000))
});

const listWork = HttpRouter.add(
  "GET",
  "/work",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      const query = yield* decodeQuery(WorkQuery);
      const registry = yield* WorkRegistry;
      if (query.status === "queued" && query.agent === undefined) {
        // The queue in placement order, each with its position and why it waits.
        return jsonResponse(yield* queueView(query.limit ?? 100).pipe(Effect.mapError(databaseUnavailable)));
      }
      const work = yield* registry
        .list({
          ...(query.status === undefined ? {} : { state: query.status }),
          ...(query.agent === undefined ? {} : { agent: query.agent }),
          ...(query.limit === undefined ? {} : { limit: query.limit })
        })
        .pipe(Effect.mapError(databaseUnavailable));
      return jsonResponse(work);
    })
  )
);

const getWork = HttpRouter.add(
  "GET",
  "/work/:id",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      yield* decodeQuery(Schema.Struct({}));
      const id = yield* pathId(WORK_ID_PATH);
      const registry = yield* WorkRegistry;
      const found = yield* registry.get(id).pipe(Effect.mapError(databaseUnavailable));
      if (Option.isNone(found)) return yield* new NotFound({ message: `work ${JSON.stringify(id)} does not exist` });
      if (found.value.state !== "queued") return jsonResponse(found.value);
      const waiting = yield* registry.waitingReason(requestOf(found.value)).pipe(Effect.mapError(databaseUnavailable));
      return jsonResponse({ ...found.value, waiting_reason: waiting });
    })
  )
);

/**
 * `DELETE /work/:id` (token rules as for POST): a queued job ends
 * `cancelled` at once; a dispatched or running one too, and its agent is
 * told to stop it (`work_cancel`: it kills the task and reports `cancelled`
 * with the output so far). 409 when the job had already ended.
 */
const cancelWork = HttpRouter.add(
  "DELETE",
  "/work/:id",
  handle(
    Effect.gen(function* () {
      yield* requireToken;
      yield* decodeQuery(Schema.Struct({}));
      const id = yield* pathId(WORK_ID_PATH);
      const registry = yield* WorkRegistry;
      const outcome = yield* registry.cancel(id).pipe(Effect.mapError(databaseUnavailable));
      switch (outcome._tag) {
        case "UnknownWork":
          return yield* new NotFound({ message: `work ${JSON.stringify(id)} does not exist` });
        case "AlreadyEnded":
          return yield* new Conflict({ message: `work ${id} already ended ${outcome.state}; there is nothing to cancel` });
        case "Cancelled": {
          const metrics = yield* OrchestratorMetrics;
          yield* metrics.workFinished("cancelled");
          if (outcome.agentId !== null) {
            const agentId = outcome.agentId;
            // The job is cancelled here whatever happens next; telling the agent is best effort, and it also refuses to start it later.
            yield* (yield* Dispatcher).cancel(agentId, id).pipe(
              Effect.catch((e) => Effect.logWarning(`work ${id} cancelled, but ${agentId} was not told: ${e.message}`))
            );
            yield* (yield* Placer).kick([agentId]);
          }
          yield* Effect.logInfo(`work ${id} cancelled (was ${outcome.previous})`);
          const found = yield* registry.get(id).pipe(Effect.mapError(databaseUnavailable));
          return jsonResponse(Option.getOrNull(found));
        }
      }
    })
  )
);

/** The routing request a stored job was made from (for its waiting reason). */
export const workRoutes = Layer.mergeAll(postWork, listWork, getWork, cancelWork);
