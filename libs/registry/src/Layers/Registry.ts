import { Layer } from "effect";
import type { RegistryError } from "../errors.ts";
import type { AgentRegistry } from "../Services/AgentRegistry.ts";
import type { AlertRegistry } from "../Services/AlertRegistry.ts";
import type { RegistryDatabase } from "../Services/RegistryDatabase.ts";
import type { WorkRegistry } from "../Services/WorkRegistry.ts";
import { AgentRegistryLive } from "./AgentRegistry.ts";
import { AlertRegistryLive } from "./AlertRegistry.ts";
import { WorkRegistryLive } from "./WorkRegistry.ts";

/** The repositories (agents, work, alerts) over one database (see `postgresDatabase`, `pgliteDatabase`), with the database itself. */
export const registryLayer = (
  database: Layer.Layer<RegistryDatabase, RegistryError>
): Layer.Layer<AgentRegistry | WorkRegistry | AlertRegistry | RegistryDatabase, RegistryError> =>
  Layer.mergeAll(AgentRegistryLive, WorkRegistryLive, AlertRegistryLive).pipe(Layer.provideMerge(database));
