import { Effect, Schema } from "effect";
import { HttpRouter } from "effect/http";
import { GpuType } from "@homelab/protocol";
import { AgentRegistry, type CapacityFilter } from "@homelab/registry";
import { databaseUnavailable, handle, jsonResponse } from "./errors.ts";
import { requireReadToken } from "./auth.ts";
import { decodeQuery, NonEmpty, NonNegativeNumber, OneOf } from "./query.ts";

/**
 * `GET /capacity` query. `min_vram_gb` is per GPU (SPEC §5): the registry
 * compares it with the agent's single best GPU, never the sum.
 */
export const CapacityQuery = Schema.Struct({
  min_vram_gb: Schema.optionalKey(NonNegativeNumber),
  min_cores: Schema.optionalKey(NonNegativeNumber),
  min_memory_gb: Schema.optionalKey(NonNegativeNumber),
  gpu_type: Schema.optionalKey(OneOf(GpuType.literals)),
  pool: Schema.optionalKey(NonEmpty("pool name"))
});

/** `GET /capacity`: online agents meeting every filter, with totals (the registry's CapacityAnswer). */
export const capacityRoutes = HttpRouter.add(
  "GET",
  "/capacity",
  handle(
    Effect.gen(function* () {
      yield* requireReadToken;
      const filter: CapacityFilter = yield* decodeQuery(CapacityQuery);
      const registry = yield* AgentRegistry;
      const answer = yield* registry.capacity(filter).pipe(Effect.mapError(databaseUnavailable));
      return jsonResponse(answer);
    })
  )
);
