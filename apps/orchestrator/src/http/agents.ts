import { Effect, Layer, Option, Schema } from "effect";
import { HttpRouter } from "effect/http";
import { AgentRegistry, type AgentFilter, type AgentRecord } from "@homelab/registry";
import { Placer } from "../work/Placer.ts";
import { requireReadToken, requireToken } from "./auth.ts";
import { databaseUnavailable, handle, jsonResponse, NotFound } from "./errors.ts";
import { historyRoute } from "./history.ts";
import { AGENT_ID_PATH, decodeQuery, NonEmpty, OneOf, pathId } from "./query.ts";

/** `GET /agents` query: liveness and pool filters, both optional. */
export const AgentsQuery = Schema.Struct({
  status: Schema.optionalKey(OneOf(["online", "offline"])),
  pool: Schema.optionalKey(NonEmpty("pool name"))
});

/** An agent as the API shows it: `draining` when it takes no new work, by its own report or through the API (`drained`). */
export const agentView = (a: AgentRecord) => ({ ...a, draining: a.reported_status === "draining" || a.drained });

/** `GET /agents`: every registered agent (online and offline), filtered. */
const listAgents = HttpRouter.add(
  "GET",
  "/agents",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      const filter: AgentFilter = yield* decodeQuery(AgentsQuery);
      const registry = yield* AgentRegistry;
      const agents = yield* registry.listAgents(filter).pipe(Effect.mapError(databaseUnavailable));
      return jsonResponse(agents.map(agentView));
    })
  )
);

/** `GET /agents/:id`: one agent's record, or 404 naming the id. */
const getAgent = HttpRouter.add(
  "GET",
  "/agents/:id",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      yield* decodeQuery(Schema.Struct({}));
      const id = yield* pathId(AGENT_ID_PATH);
      const registry = yield* AgentRegistry;
      const found = yield* registry.getAgent(id).pipe(Effect.mapError(databaseUnavailable));
      if (Option.isNone(found)) {
        return yield* new NotFound({ message: `agent ${JSON.stringify(id)} is not registered` });
      }
      return jsonResponse(agentView(found.value));
    })
  )
);

/**
 * `POST /agents/:id/drain` and `/resume` (token rules as for POST /work): a
 * drained agent finishes what it runs and gets no new work until resumed,
 * across orchestrator restarts and whatever its heartbeats say. Resuming
 * places queued work on it at once.
 */
const setDrained = (action: "drain" | "resume") =>
  HttpRouter.add(
    "POST",
    `/agents/:id/${action}`,
    handle(
      Effect.gen(function* () {
        yield* requireToken;
        yield* decodeQuery(Schema.Struct({}));
        const id = yield* pathId(AGENT_ID_PATH);
        const registry = yield* AgentRegistry;
        const updated = yield* registry.setDrained(id, action === "drain").pipe(Effect.mapError(databaseUnavailable));
        if (Option.isNone(updated)) return yield* new NotFound({ message: `agent ${JSON.stringify(id)} is not registered` });
        yield* Effect.logInfo(`agent ${id} ${action === "drain" ? "drained" : "resumed"} through the API`);
        if (action === "resume") yield* (yield* Placer).kick([id]);
        return jsonResponse(agentView(updated.value));
      })
    )
  );

export const agentRoutes = Layer.mergeAll(listAgents, getAgent, historyRoute, setDrained("drain"), setDrained("resume"));
