import { Context, type Effect, type Option } from "effect";
import type { WorkResult } from "@homelab/protocol";
import type { RegistryError } from "../errors.ts";
import type { Among, RouteRequest, WorkRecord, WorkState, WorkSummary } from "../repository/work.ts";

export {
  ACTIVE_STATES,
  type Among,
  GIVEN_UP_STATES,
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
  /** The job had already ended (lost, timed_out, cancelled, expired): kept as its late_result, state unchanged. */
  | { readonly _tag: "Late"; readonly state: WorkState }
  /** The work already ended with a result (a redelivery): nothing changed. */
  | { readonly _tag: "AlreadyFinished"; readonly state: WorkState }
  | { readonly _tag: "UnknownWork" }
  | { readonly _tag: "WrongAgent"; readonly assignedTo: string };

export type CancelOutcome =
  /** It was cancelled; `agentId` (null when it never left the queue) must be told when it was active. */
  | { readonly _tag: "Cancelled"; readonly agentId: string | null; readonly previous: WorkState }
  | { readonly _tag: "AlreadyEnded"; readonly state: WorkState }
  | { readonly _tag: "UnknownWork" };

/** A queued job as the queue lists it: its place in line. */
export type QueuedWork = WorkSummary & { readonly position: number };

export interface WorkFilter {
  readonly state?: WorkState;
  /** Any of these states. */
  readonly states?: ReadonlyArray<WorkState>;
  readonly agent?: string;
  /** Changed at or after this time (ISO, the database clock): what the live page's event batches read. */
  readonly updatedSince?: string;
  /** Newest first, at most this many (default 100). */
  readonly limit?: number;
}

export interface WorkRegistryShape {
  /**
   * Chooses the agent (and GPU) for a job and books it, or says why nothing
   * fits. Decisions are serialised across orchestrators (a transaction-level
   * advisory lock), so two requests never both get the last free capacity.
   */
  readonly route: (
    request: RouteRequest,
    priority?: number,
    /** false: when nothing fits, skip the diagnosis (`reason` is empty), for a caller that queues the job and explains it its own way. */
    explain?: boolean
  ) => Effect.Effect<RouteOutcome, RegistryError>;
  /** A job that waits: no agent, nothing booked; `maxWaitSeconds` set → it ends `expired` if still queued then. */
  readonly enqueue: (
    request: RouteRequest,
    options: { readonly priority: number; readonly maxWaitSeconds: number | undefined }
  ) => Effect.Effect<WorkRecord, RegistryError>;
  /** Why no registered agent could ever take the job (refuse it), or none when one could (queue it). */
  readonly impossible: (request: RouteRequest) => Effect.Effect<Option.Option<string>, RegistryError>;
  /** Why a job waits now: the nearest agent and its shortfall, who is busy or draining. */
  readonly waitingReason: (request: RouteRequest) => Effect.Effect<string, RegistryError>;
  /** Whether some queued job has this kind and these requirements (a new one then queues behind it). */
  readonly hasQueuedLike: (request: RouteRequest) => Effect.Effect<boolean, RegistryError>;
  /**
   * Places queued jobs where they fit now, highest priority then oldest
   * first, under the routing lock (never twice, never on an agent without
   * room): one shape (kind + requirements) at a time, so a shape that does
   * not fit costs one attempt however many jobs it has. `among`: only these
   * agents (what a heartbeat batch or an ended job freed). Returns the jobs
   * booked (`pending`), at most `limit`.
   */
  readonly place: (among: Among, limit?: number) => Effect.Effect<ReadonlyArray<WorkRecord>, RegistryError>;
  /** The queue in placement order, with positions. */
  readonly queue: (limit: number) => Effect.Effect<ReadonlyArray<QueuedWork>, RegistryError>;
  /** Queued jobs past their max wait end `expired`; their ids. */
  readonly expire: Effect.Effect<ReadonlyArray<string>, RegistryError>;
  /** For metrics: VRAM (GB) active work books per agent and GPU, and how many jobs are queued. */
  readonly bookings: Effect.Effect<
    { readonly vram: ReadonlyArray<{ readonly agent_id: string; readonly gpu_index: number; readonly vram_gb: number }>; readonly queued: number },
    RegistryError
  >;
  /** Cancels a job that has not ended (queued or active). */
  readonly cancel: (workId: string) => Effect.Effect<CancelOutcome, RegistryError>;
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
