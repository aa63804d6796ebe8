import { Clock, Effect, Option, Schema } from "effect";
import { HttpRouter } from "effect/http";
import { IsoUtc } from "@homelab/protocol";
import { AgentRegistry } from "@homelab/registry";
import { requireReadToken } from "./auth.ts";
import { BadRequest, databaseUnavailable, handle, jsonResponse, NotFound } from "./errors.ts";
import { AGENT_ID_PATH, decodeQuery, pathId } from "./query.ts";

/** Without `since`, the history starts this long before `until` (the dashboard's default view). */
const DEFAULT_SPAN_MS = 24 * 3600_000;
/** The widest range one request may ask for. */
const MAX_SPAN_DAYS = 366;

export const HistoryQuery = Schema.Struct({
  since: Schema.optionalKey(IsoUtc),
  until: Schema.optionalKey(IsoUtc)
});

/**
 * `GET /agents/:id/history?since=&until=`: the agent's per-minute samples
 * (the first heartbeat of each minute: CPU load, cores, memory, every GPU's
 * figures) in [since, until), oldest first; by default the last 24 hours.
 * Kept HISTORY_RETENTION_DAYS. 404 for an agent never registered.
 */
export const historyRoute = HttpRouter.add(
  "GET",
  "/agents/:id/history",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      const query = yield* decodeQuery(HistoryQuery);
      const id = yield* pathId(AGENT_ID_PATH);
      const until = query.until ?? new Date(yield* Clock.currentTimeMillis).toISOString();
      const since = query.since ?? new Date(Date.parse(until) - DEFAULT_SPAN_MS).toISOString();
      const span = Date.parse(until) - Date.parse(since);
      if (span <= 0) return yield* new BadRequest({ message: `since (${since}) must be before until (${until})` });
      if (span > MAX_SPAN_DAYS * 86400_000) {
        return yield* new BadRequest({ message: `since to until spans more than ${MAX_SPAN_DAYS} days; ask for a shorter range` });
      }
      const registry = yield* AgentRegistry;
      const agent = yield* registry.getAgent(id).pipe(Effect.mapError(databaseUnavailable));
      if (Option.isNone(agent)) return yield* new NotFound({ message: `agent ${JSON.stringify(id)} is not registered` });
      const points = yield* registry.history(id, since, until).pipe(Effect.mapError(databaseUnavailable));
      return jsonResponse({ agent_id: id, since, until, points });
    })
  )
);
