import { Clock, Effect, Layer, Schema } from "effect";
import { HttpRouter } from "effect/http";
import { AlertRegistry } from "@homelab/registry";
import { AlertChannels } from "../alerts/AlertChannels.ts";
import { sendToChannel } from "../alerts/channels.ts";
import type { AlertMessage } from "../alerts/types.ts";
import { requireReadToken, requireToken } from "./auth.ts";
import { Conflict, databaseUnavailable, handle, jsonResponse } from "./errors.ts";
import { decodeQuery, Limit } from "./query.ts";

const LimitQuery = Schema.Struct({ limit: Schema.optionalKey(Limit(500)) });

/** The channels as the API shows them: name, scheme and the URL with its secrets masked. */
const channelsView = (channels: AlertChannels["Service"]["channels"]) => channels.map((c) => ({ name: c.name, scheme: c.scheme, url: c.display }));

/**
 * `GET /alerts` (read token rules): the newest alerts first (`limit`,
 * default 50), each with its messages' delivery state per channel, and the
 * configured channels.
 */
const listAlerts = HttpRouter.add(
  "GET",
  "/alerts",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      const query = yield* decodeQuery(LimitQuery);
      const settings = yield* AlertChannels;
      const alerts = yield* (yield* AlertRegistry).listAlerts(query.limit ?? 50).pipe(Effect.mapError(databaseUnavailable));
      return jsonResponse({ channels: channelsView(settings.channels), alerts });
    })
  )
);

/**
 * `POST /alerts/test` (token rules as for POST /work): a test message to
 * every channel at once, not through the outbox; 200 when every channel
 * accepted it, 502 when one did not, with what each far end answered; 409
 * when no channel is configured.
 */
const testAlerts = HttpRouter.add(
  "POST",
  "/alerts/test",
  handle(
    Effect.gen(function* () {
      yield* requireToken;
      yield* decodeQuery(Schema.Struct({}));
      const settings = yield* AlertChannels;
      if (settings.channels.length === 0) {
        return yield* new Conflict({ message: "no alert channel is configured: set ALERT_URLS or alerts.channels in the config file" });
      }
      const at = new Date(yield* Clock.currentTimeMillis).toISOString();
      const message: AlertMessage = {
        kind: "test",
        event: "test",
        alert_id: null,
        agent_id: null,
        summary: "Test alert from the homelab orchestrator",
        detail: "If you can read this, this channel works (POST /alerts/test).",
        at,
        since: null,
        duration_seconds: null
      };
      const results = yield* Effect.forEach(
        settings.channels,
        (channel) =>
          sendToChannel(channel, message).pipe(
            Effect.map((reply) => ({ channel: channel.name, url: channel.display, ok: reply.ok, status: reply.status, detail: reply.detail }))
          ),
        { concurrency: "unbounded" }
      );
      return jsonResponse({ results }, results.every((r) => r.ok) ? 200 : 502);
    })
  )
);

export const alertRoutes = Layer.mergeAll(listAlerts, testAlerts);
