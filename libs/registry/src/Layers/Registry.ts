import { Layer } from "effect";
import type { RegistryError } from "../errors.ts";
import type { AgentRegistry } from "../Services/AgentRegistry.ts";
import type { RegistryDatabase } from "../Services/RegistryDatabase.ts";
import type { WorkRegistry } from "../Services/WorkRegistry.ts";
import { AgentRegistryLive } from "./AgentRegistry.ts";
import { WorkRegistryLive } from "./WorkRegistry.ts";

/** Both repositories over one database (see `postgresDatabase`, `pgliteDatabase`), with the database itself. */
export const registryLayer = (
  database: Layer.Layer<RegistryDatabase, RegistryError>
): Layer.Layer<AgentRegistry | WorkRegistry | RegistryDatabase, RegistryError> =>
  Layer.mergeAll(AgentRegistryLive, WorkRegistryLive).pipe(Layer.provideMerge(database));
