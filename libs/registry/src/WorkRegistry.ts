import { sql } from "drizzle-orm";
import { Context, Effect, Layer, Option, Schema } from "effect";
import type { WorkResult } from "@homelab/protocol";
import { decodeFirst, decodeRows, rowsOf } from "./drivers/shared.ts";
import type { RegistryError } from "./errors.ts";
import { ROUTE_LOCK_KEY } from "./migrations.ts";
import { RegistryDatabase } from "./RegistryDatabase.ts";
import {
  diagnoseStatement,
  DiagnosisRow,
  dispatchedStatement,
  endStatement,
  noFitReason,
  ResultRow,
  type RouteRequest,
  routeStatement,
  runningStatement,
  resultStatement,
  type WorkRecord,
  WorkRow,
  type WorkState,
  workSelect,
  workSummarySelect,
  type WorkSummary,
  WorkSummaryRow
} from "./repository/work.ts";

export {
  ACTIVE_STATES,
  type RouteRequest,
  type RouteRequirements,
  type WorkRecord,
  WORK_STATES,
  WorkState,
  type WorkSummary
} from "./repository/work.ts";

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

const IdRow = Schema.Struct({ work_id: Schema.String });

export const makeWorkRegistry = Effect.gen(function* () {
  const { use } = yield* RegistryDatabase;
  const ids = (operation: string) => (result: unknown) =>
    decodeRows(operation, IdRow)(rowsOf(result)).pipe(Effect.map((rows) => rows.map((r) => r.work_id)));

  const get = Effect.fn("WorkRegistry.get")(function* (workId: string) {
    const rows = yield* use("getWork", (db) => db.execute(sql`${workSelect} where work_id = ${workId}`));
    const decoded = yield* decodeRows("getWork", WorkRow)(rowsOf(rows));
    return Option.fromNullishOr(decoded[0]);
  });

  const route = Effect.fn("WorkRegistry.route")(function* (request: RouteRequest) {
    const decided = yield* use("route", (db) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${ROUTE_LOCK_KEY})`);
        const booked = rowsOf(await tx.execute(routeStatement(request)));
        // Nothing fitted. Still under the lock: the reason describes the state the decision saw.
        return booked.length > 0 ? { booked } : { diagnosis: rowsOf(await tx.execute(diagnoseStatement(request))) };
      })
    );
    if ("booked" in decided) {
      const work = yield* decodeFirst("route", WorkRow, decided.booked);
      return { _tag: "Booked", work } satisfies RouteOutcome;
    }
    const diagnosis = yield* decodeFirst("route", DiagnosisRow, decided.diagnosis);
    return { _tag: "NoFit", reason: noFitReason(request, diagnosis) } satisfies RouteOutcome;
  });

  const markDispatched = (workId: string) =>
    use("markDispatched", (db) => db.execute(dispatchedStatement(workId))).pipe(Effect.asVoid);

  const fail = (workId: string, reason: string) =>
    use("failWork", (db) => db.execute(endStatement(sql`work_id = ${workId}`, "failed", reason))).pipe(
      Effect.flatMap(ids("failWork")),
      Effect.map((ended) => ended.length > 0)
    );

  const markRunning: WorkRegistryShape["markRunning"] = (reports) => {
    const listing = reports.filter((r) => r.current_work.length > 0);
    return listing.length === 0
      ? Effect.succeed([])
      : use("markRunning", (db) => db.execute(runningStatement(listing))).pipe(Effect.flatMap(ids("markRunning")));
  };

  const recordResult = Effect.fn("WorkRegistry.recordResult")(function* (result: WorkResult) {
    const rows = yield* use("recordResult", (db) => db.execute(resultStatement(result)));
    const row = yield* decodeFirst("recordResult", ResultRow, rowsOf(rows));
    if (row.previous === null || row.agent_id === null) return { _tag: "UnknownWork" } satisfies ResultOutcome;
    if (row.agent_id !== result.agent_id) return { _tag: "WrongAgent", assignedTo: row.agent_id } satisfies ResultOutcome;
    if (row.updated === 0) return { _tag: "AlreadyFinished", state: row.previous } satisfies ResultOutcome;
    return { _tag: "Recorded", previous: row.previous } satisfies ResultOutcome;
  });

  const timeOut = (graceSeconds: number) =>
    use("timeOutWork", (db) =>
      db.execute(
        endStatement(
          sql`coalesce(dispatched_at, created_at) + make_interval(secs => timeout_seconds + ${graceSeconds}::float8) < now()`,
          "timed_out",
          `no result within timeout_seconds + ${graceSeconds} s grace`
        )
      )
    ).pipe(Effect.flatMap(ids("timeOutWork")));

  const list = Effect.fn("WorkRegistry.list")(function* (filter: WorkFilter) {
    const conditions = [
      filter.state === undefined ? undefined : sql`state = ${filter.state}`,
      filter.agent === undefined ? undefined : sql`agent_id = ${filter.agent}`
    ].filter((c) => c !== undefined);
    const where = conditions.length === 0 ? sql`` : sql` where ${sql.join(conditions, sql` and `)}`;
    const rows = yield* use("listWork", (db) =>
      db.execute(sql`${workSummarySelect}${where} order by created_at desc, work_id limit ${filter.limit ?? 100}`)
    );
    return yield* decodeRows("listWork", WorkSummaryRow)(rowsOf(rows));
  });

  return { route, markDispatched, fail, markRunning, recordResult, timeOut, get, list } satisfies WorkRegistryShape;
});

export class WorkRegistry extends Context.Service<WorkRegistry, WorkRegistryShape>()("@homelab/registry/WorkRegistry") {
  /** The work repository over the RegistryDatabase the AgentRegistry uses too. */
  static readonly layer: Layer.Layer<WorkRegistry, never, RegistryDatabase> = Layer.effect(WorkRegistry, makeWorkRegistry);
}
