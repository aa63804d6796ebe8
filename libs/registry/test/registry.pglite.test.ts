import { Effect, Layer } from "effect";
import { AgentRegistry, RegistryDatabase, WorkRegistry } from "../src/index.ts";
import { describeRepository } from "./repositorySuite.ts";

// One in-memory PGlite for the whole file (~3 s and ~0.9 GB each).
describeRepository(
  "PGlite",
  Effect.succeed({
    layer: Layer.mergeAll(AgentRegistry.layer, WorkRegistry.layer).pipe(Layer.provideMerge(RegistryDatabase.layerPglite("memory"))),
    extra: undefined
  })
);
