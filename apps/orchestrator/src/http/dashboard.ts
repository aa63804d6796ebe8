import { existsSync } from "node:fs";
import path from "node:path";
import { Effect, Layer } from "effect";
import { HttpRouter, HttpStaticServer } from "effect/http";
import { NodeHttpServer } from "@effect/platform-node";
import { errorResponse } from "./errors.ts";

/**
 * The dashboard (apps/dashboard, built by Vite) at `/` on the API's port:
 * `GET /` is its page, `/assets/*` its scripts and styles (content-hashed
 * names, so cached for good; the page itself is revalidated). No token is
 * needed for these files: they hold no data, and the page asks for the API
 * token when the API wants one. Without a build, `GET /` says how to make one.
 */
export const dashboardRoutes = (dir: string): Layer.Layer<never, never, HttpRouter.HttpRouter> => {
  if (!existsSync(path.join(dir, "index.html"))) {
    return HttpRouter.add(
      "GET",
      "/",
      Effect.succeed(errorResponse(404, `the dashboard is not built (no index.html in ${dir}): run npx nx run dashboard:build, or set DASHBOARD_DIR`))
    );
  }
  return Layer.effectDiscard(
    Effect.gen(function* () {
      const router = yield* HttpRouter.HttpRouter;
      const page = yield* HttpStaticServer.make({ root: dir, cacheControl: "no-cache" });
      const assets = yield* HttpStaticServer.make({ root: dir, cacheControl: "public, max-age=31536000, immutable" });
      const orNotFound = Effect.catch(() => Effect.succeed(errorResponse(404, "no such dashboard file")));
      yield* router.add("GET", "/", orNotFound(page));
      yield* router.add("GET", "/assets/*", orNotFound(assets));
    })
  ).pipe(
    Layer.catch((e) => Layer.effectDiscard(Effect.logWarning(`dashboard not served: ${e.message}`))),
    Layer.provide(NodeHttpServer.layerHttpServices)
  );
};
