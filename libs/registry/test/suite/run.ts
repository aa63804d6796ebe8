import type { Effect, Scope } from "effect";
import type { AgentRegistry, AlertRegistry, RegistryDatabase, WorkRegistry } from "../../src/index.ts";

/** What every suite's test programs may use. */
export type Services = AgentRegistry | WorkRegistry | AlertRegistry | RegistryDatabase;

/** Runs a test program against the file's registry (tables emptied before each test). */
export type Run = <A, E>(effect: Effect.Effect<A, E, Services | Scope.Scope>) => Promise<A>;
