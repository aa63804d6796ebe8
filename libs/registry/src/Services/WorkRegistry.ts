import { Context, type Effect, type Option } from "effect";
import type { WorkResult } from "@homelab/protocol";
import type { RegistryError } from "../errors.ts";
import type { RouteRequest, WorkRecord, WorkState, WorkSummary } from "../repository/work.ts";

export {
  ACTIVE_STATES,
  type RouteRequest,
  type RouteRequirements,
  type WorkRecord,
  WORK_STATES,
  WorkState,
  type WorkSummary
} from "../repository/work.ts";

export type RouteOutcome =
  | { readonly _tag: "Booked"; readonly work: WorkRecord }
  /** Nothing fits; `reason` says what ruled the agents out. Nothing was stored. */
  | { readonly _tag: "NoFit"; readonly reason: string };

export type ResultOutcome =
  | { readonly _tag: "Recorded"; readonly previous: WorkState }
  /** The work already ended with a result (a redelivery): nothing changed. */
  | { readonly _tag: "AlreadyFinished"; readonly state: WorkState }
  | { readonly _tag: "UnknownWork" }
  | { readonly _tag: "WrongAgent"; readonly assignedTo: string };

export interface WorkFilter {
  readonly state?: WorkState;
  readonly agent?: string;
  /** Newest first, at most this many (default 100). */
  readonly limit?: number;
}

export interface WorkRegistryShape {
  /**
   * Chooses the agent (and GPU) for a job and books it, or says why nothing
   * fits. Decisions are serialised across orchestrators (a transaction-level
   * advisory lock), so two requests never both get the last free capacity.
   */
  readonly route: (request: RouteRequest) => Effect.Effect<RouteOutcome, RegistryError>;
  /** pending → dispatched, once the request is confirmed on the agent's queue. */
  readonly markDispatched: (workId: string) => Effect.Effect<void, RegistryError>;
  /** Ends still-active work with an orchestrator-side reason; answers whether it did. */
  readonly fail: (workId: string, reason: string) => Effect.Effect<boolean, RegistryError>;
  /** Heartbeats' current_work: that work is running. Returns the ids that became running. */
  readonly markRunning: (
    reports: ReadonlyArray<{ readonly agent_id: string; readonly current_work: ReadonlyArray<string> }>
  ) => Effect.Effect<ReadonlyArray<string>, RegistryError>;
  readonly recordResult: (result: WorkResult) => Effect.Effect<ResultOutcome, RegistryError>;
  /** Active work past its timeout plus `graceSeconds` (since dispatch, by the database clock) becomes `timed_out`. */
  readonly timeOut: (graceSeconds: number) => Effect.Effect<ReadonlyArray<string>, RegistryError>;
  readonly get: (workId: string) => Effect.Effect<Option.Option<WorkRecord>, RegistryError>;
  /** Newest first; each result without its `output` (`get` has it). */
  readonly list: (filter: WorkFilter) => Effect.Effect<ReadonlyArray<WorkSummary>, RegistryError>;
}

/** The work repository (SPEC §5); implemented by `WorkRegistryLive` (Layers/WorkRegistry.ts). */
export class WorkRegistry extends Context.Service<WorkRegistry, WorkRegistryShape>()("@homelab/registry/WorkRegistry") {}
