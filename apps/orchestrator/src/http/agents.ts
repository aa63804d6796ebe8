import { Effect, Layer, Option, Schema } from "effect";
import { HttpRouter } from "effect/http";
import { AgentRegistry, type AgentFilter } from "@homelab/registry";
import { requireReadToken } from "./auth.ts";
import { databaseUnavailable, handle, jsonResponse, NotFound } from "./errors.ts";
import { AGENT_ID_PATH, decodeQuery, NonEmpty, OneOf, pathId } from "./query.ts";

/** `GET /agents` query: liveness and pool filters, both optional. */
export const AgentsQuery = Schema.Struct({
  status: Schema.optionalKey(OneOf(["online", "offline"])),
  pool: Schema.optionalKey(NonEmpty("pool name"))
});

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
      return jsonResponse(agents);
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
      return jsonResponse(found.value);
    })
  )
);

export const agentRoutes = Layer.mergeAll(listAgents, getAgent);
