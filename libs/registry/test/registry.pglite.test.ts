import { Effect, Layer } from "effect";
import { pgliteDatabase, registryLayer } from "../src/index.ts";
import { describeRepository } from "./repositorySuite.ts";

// One in-memory PGlite for the whole file (~3 s and ~0.9 GB each).
describeRepository(
  "PGlite",
  Effect.succeed({
    layer: registryLayer(pgliteDatabase("memory")),
    extra: undefined
  })
);
