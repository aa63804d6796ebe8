import { Effect, Schema } from "effect";
import { HttpRouter, HttpServerResponse } from "effect/http";
import { LiveEvents } from "../live/LiveEvents.ts";
import { requireReadToken } from "./auth.ts";
import { databaseUnavailable, handle } from "./errors.ts";
import { decodeQuery } from "./query.ts";

/**
 * `GET /events`: the live feed for the dashboard, as Server-Sent Events
 * (read token rules). First a `snapshot` (every agent, active, queued and
 * recently finished work, VRAM bookings), then `agents` and `work` batches
 * as they change, and a keep-alive comment every 15 s. 503 when the
 * registry cannot give the snapshot.
 */
export const eventsRoute = HttpRouter.add(
  "GET",
  "/events",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      yield* decodeQuery(Schema.Struct({}));
      const feed = yield* (yield* LiveEvents).connect.pipe(Effect.mapError(databaseUnavailable));
      return HttpServerResponse.stream(feed, {
        contentType: "text/event-stream; charset=utf-8",
        headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
      });
    })
  )
);
