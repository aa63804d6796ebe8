import { Effect, Layer } from "effect";
import { HttpRouter } from "effect/http";
import { Readiness, type Component } from "../Readiness.ts";
import { handle, jsonResponse } from "./errors.ts";

const COMPONENTS: ReadonlyArray<Component> = ["broker", "database"];

/** `GET /healthz`: the process is running and serving; nothing else is checked. */
const healthz = HttpRouter.add("GET", "/healthz", handle(Effect.succeed(jsonResponse({ status: "ok" }))));

/**
 * `GET /readyz`: 200 when the broker and the database are both up, else 503
 * naming each component that is down and why.
 */
const readyz = HttpRouter.add(
  "GET",
  "/readyz",
  handle(
    Effect.gen(function* () {
      const report = yield* (yield* Readiness).get;
      if (report.ready) return jsonResponse({ status: "ready", components: report.components });
      const down = COMPONENTS.filter((c) => !report.components[c].up);
      const reasons = down.map((c) => `${c}: ${report.components[c].detail}`).join("; ");
      return jsonResponse({ status: "not ready", error: `not ready: ${reasons}`, components: report.components }, 503);
    })
  )
);

export const healthRoutes = Layer.mergeAll(healthz, readyz);
