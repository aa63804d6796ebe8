import { Effect, Layer, Option, Schema } from "effect";
import { HttpRouter } from "effect/http";
import { WorkRegistry, WORK_STATES } from "@homelab/registry";
import { OrchestratorMetrics } from "../OrchestratorMetrics.ts";
import { submitWork, WorkSubmission } from "../work/submit.ts";
import { requireReadToken, requireToken } from "./auth.ts";
import { decodeJsonBody } from "./body.ts";
import { Conflict, databaseUnavailable, handle, jsonResponse, NotFound, Unavailable } from "./errors.ts";
import { decodeQuery, NonEmpty, OneOf, pathId, WORK_ID_PATH } from "./query.ts";

/**
 * `POST /work`: 202 with the booked work (its `work_id`, `agent_id`, GPU and
 * allocation), 409 with the reason when no online agent can take it now
 * (nothing is queued), 503 when the broker or database cannot take it.
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
      yield* metrics.workSubmitted("dispatched");
      yield* metrics.routed(submitted.routeMs / 1000);
      return jsonResponse(submitted.work, 202);
    })
  )
);

/** `GET /work` query: state and agent filters, and how many (newest first). */
export const WorkQuery = Schema.Struct({
  status: Schema.optionalKey(OneOf(WORK_STATES)),
  agent: Schema.optionalKey(NonEmpty("agent_id")),
  limit: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[1-9]\d{0,3}$/, { expected: "a whole number from 1 to 1000" })).pipe(
      Schema.decodeTo(Schema.FiniteFromString),
      Schema.check(Schema.isLessThanOrEqualTo(1000, { expected: "a whole number from 1 to 1000" }))
    )
  )
});

const listWork = HttpRouter.add(
  "GET",
  "/work",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      const query = yield* decodeQuery(WorkQuery);
      const registry = yield* WorkRegistry;
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
      return jsonResponse(found.value);
    })
  )
);

export const workRoutes = Layer.mergeAll(postWork, listWork, getWork);
