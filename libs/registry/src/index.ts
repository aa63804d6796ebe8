/**
 * @homelab/registry — the agent registry of SPEC §5 in PostgreSQL (or
 * embedded PGlite): Drizzle schema, committed migrations applied on start,
 * and the AgentRegistry repository.
 */
export {
  type AgentChange,
  type AgentFilter,
  type AgentDetail,
  type FleetAgent,
  type AgentRecord,
  AgentRegistry,
  type AgentRegistryShape,
  type ApplyResult,
  type CapacityAgent,
  type CapacityAnswer,
  type CapacityFilter,
  type Liveness,
  type OfflineTransition,
  type StatusTransition
} from "./Services/AgentRegistry.ts";
export { RegistryError } from "./errors.ts";
export { SHUTDOWN_REASON } from "./repository/heartbeats.ts";
export { classifyFailure, type FailureKind, sqlState } from "./errors.ts";
export { defaultMigrationsFolder, MIGRATION_LOCK_KEY, ROUTE_LOCK_KEY, SWEEP_LOCK_KEY } from "./migrations.ts";
export {
  ACTIVE_STATES,
  type ResultOutcome,
  type RouteOutcome,
  type RouteRequest,
  type RouteRequirements,
  type WorkFilter,
  type WorkRecord,
  WorkRegistry,
  type WorkRegistryShape,
  WORK_STATES,
  WorkState,
  type WorkSummary
} from "./Services/WorkRegistry.ts";
export {
  type DatabaseOptions,
  type Db,
  type PostgresOptions,
  RegistryDatabase,
  type RegistryDatabaseShape
} from "./Services/RegistryDatabase.ts";
export { AgentRegistryLive } from "./Layers/AgentRegistry.ts";
export { AlertRegistryLive } from "./Layers/AlertRegistry.ts";
export {
  type AgentFacts,
  type AlertEvent,
  type AlertListing,
  type AlertOp,
  type AlertPolicy,
  type AlertRecord,
  AlertRegistry,
  type AlertRegistryShape,
  type AlertState,
  type AlertTransition,
  type ClaimedDelivery,
  type DeliveryOutcome,
  type DeliveryRecord,
  type EvaluateResult,
  type GpuCheck,
  type GpuMemory,
  type LeftQueue,
  type MessageBody,
  type ReviewItem,
  type TransitionContext,
  type WaitingWork
} from "./Services/AlertRegistry.ts";
export { pgliteDatabase, postgresDatabase } from "./Layers/RegistryDatabase.ts";
export { registryLayer } from "./Layers/Registry.ts";
export { DatabaseStart, startingDatabase } from "./Layers/StartingDatabase.ts";
export { WorkRegistryLive } from "./Layers/WorkRegistry.ts";
export { agentRegistry, agentStatusTransitions, alertDeliveries, alertMessages, alerts, work } from "./schema.ts";
