import { sql } from "drizzle-orm";
import { Effect, Layer, Option, Schema } from "effect";
import type { WorkResult } from "@homelab/protocol";
import { decodeFirst, decodeRows, rowsOf } from "../drivers/shared.ts";
import { ROUTE_LOCK_KEY } from "../migrations.ts";
import {
  type Among,
  anyQueuedStatement,
  CancelRow,
  cancelStatement,
  enqueueStatement,
  expireStatement,
  feasibilityStatement,
  FeasibilityRow,
  impossibleReason,
  nextOfShapeStatement,
  placeStatement,
  queueStatement,
  nextPlaceableStatement,
  WaitingRow,
  waitingReason,
  waitingStatement,
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
} from "../repository/work.ts";
import { RegistryDatabase } from "../Services/RegistryDatabase.ts";
import {
  type CancelOutcome,
  type ResultOutcome,
  type RouteOutcome,
  type WorkFilter,
  WorkRegistry,
  type WorkRegistryShape
} from "../Services/WorkRegistry.ts";

const IdRow = Schema.Struct({ work_id: Schema.String });

export const makeWorkRegistry = Effect.gen(function* () {
  const database = yield* RegistryDatabase;
  const { use } = database;
  const ids = (operation: string) => (result: unknown) =>
    decodeRows(operation, IdRow)(rowsOf(result)).pipe(Effect.map((rows) => rows.map((r) => r.work_id)));

  const get = Effect.fn("WorkRegistry.get")(function* (workId: string) {
    const rows = yield* use("getWork", (db) => db.execute(sql`${workSelect} where work_id = ${workId}`));
    const decoded = yield* decodeRows("getWork", WorkRow)(rowsOf(rows));
    return Option.fromNullishOr(decoded[0]);
  });

  const route = Effect.fn("WorkRegistry.route")(function* (request: RouteRequest, priority = 0, explain = true) {
    const decided = yield* use("route", (db) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${ROUTE_LOCK_KEY})`);
        const booked = rowsOf(await tx.execute(routeStatement(request, priority)));
        // Nothing fitted. Still under the lock: the reason describes the state the decision saw.
        if (booked.length > 0) return { booked };
        return explain ? { diagnosis: rowsOf(await tx.execute(diagnoseStatement(request))) } : { diagnosis: undefined };
      })
    );
    if ("booked" in decided) {
      const work = yield* decodeFirst("route", WorkRow, decided.booked);
      return { _tag: "Booked", work } satisfies RouteOutcome;
    }
    if (decided.diagnosis === undefined) return { _tag: "NoFit", reason: "" } satisfies RouteOutcome;
    const diagnosis = yield* decodeFirst("route", DiagnosisRow, decided.diagnosis);
    return { _tag: "NoFit", reason: noFitReason(request, diagnosis) } satisfies RouteOutcome;
  });

  const enqueue: WorkRegistryShape["enqueue"] = (request, options) =>
    use("enqueue", (db) => db.execute(enqueueStatement(request, options.priority, options.maxWaitSeconds))).pipe(
      Effect.flatMap((rows) => decodeFirst("enqueue", WorkRow, rowsOf(rows)))
    );

  const impossible = (request: RouteRequest) =>
    use("feasibility", (db) => db.execute(feasibilityStatement(request))).pipe(
      Effect.flatMap((rows) => decodeFirst("feasibility", FeasibilityRow, rowsOf(rows))),
      Effect.map((row) => Option.fromNullishOr(impossibleReason(request, row)))
    );

  const waiting = (request: RouteRequest) =>
    use("waitingReason", (db) => db.execute(waitingStatement(request))).pipe(
      Effect.flatMap((rows) => decodeFirst("waitingReason", WaitingRow, rowsOf(rows))),
      Effect.map((row) => waitingReason(request, row))
    );

  const hasQueuedLike = (request: RouteRequest) =>
    use("hasQueuedLike", (db) => db.execute(nextOfShapeStatement(request.kind, { ...request.requirements }))).pipe(
      Effect.map((rows) => rowsOf(rows).length > 0)
    );

  const decodeWork = (row: unknown) => Schema.decodeUnknownSync(WorkRow)(row);

  const place = Effect.fn("WorkRegistry.place")(function* (among: Among, limit = 100) {
    if (among !== undefined && among.length === 0) return [];
    // Every heartbeat batch kicks a pass, and nearly every pass finds the
    // queue empty: one probe of the queue's partial index then, without the
    // transaction, the routing lock and the placement query. Work queued
    // after the probe kicks a pass of its own.
    const anyQueued = yield* database.executePrepared("placeQueued", anyQueuedStatement);
    if (anyQueued.length === 0) return [];
    return yield* use("placeQueued", (db) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${ROUTE_LOCK_KEY})`);
        const placed: Array<WorkRecord> = [];
        // A shape whose best job did not fit exactly (a GPU-level detail the bound cannot see) is not tried again in this pass.
        const skip: Array<{ kind: string; requirements: unknown }> = [];
        while (placed.length < limit) {
          const next = rowsOf(await tx.execute(nextPlaceableStatement(among, skip))).map(decodeWork)[0];
          if (next === undefined) break;
          const request = { ...next, requirements: next.requirements as RouteRequest["requirements"] };
          const booked = rowsOf(await tx.execute(placeStatement(request, among)));
          if (booked.length === 0) skip.push({ kind: next.kind, requirements: next.requirements });
          else placed.push(decodeWork(booked[0]));
        }
        return placed;
      })
    );
  });

  const queue = Effect.fn("WorkRegistry.queue")(function* (limit: number) {
    const rows = yield* use("queue", (db) => db.execute(queueStatement(limit)));
    return yield* decodeRows("queue", Schema.Struct({ ...WorkSummaryRow.fields, position: Schema.Finite }))(rowsOf(rows));
  });

  const BookingRow = Schema.Struct({
    vram: Schema.Array(Schema.Struct({ agent_id: Schema.String, gpu_index: Schema.Finite, vram_gb: Schema.Finite })),
    queued: Schema.Finite
  });
  const bookings = use("bookings", (db) =>
    db.execute(sql`select
      coalesce((select json_agg(b) from (
        select agent_id, gpu_index, sum(coalesce((allocation ->> 'vram_gb')::float8, 0)) as vram_gb
        from work where state in ('pending', 'dispatched', 'running') and gpu_index is not null
        group by agent_id, gpu_index) b), '[]'::json) as vram,
      (select count(*)::int from work where state = 'queued') as queued`)
  ).pipe(Effect.flatMap((rows) => decodeFirst("bookings", BookingRow, rowsOf(rows))));

  const expire = use("expireQueued", (db) => db.execute(expireStatement)).pipe(Effect.flatMap(ids("expireQueued")));

  const cancel = Effect.fn("WorkRegistry.cancel")(function* (workId: string) {
    const rows = yield* use("cancelWork", (db) => db.execute(cancelStatement(workId)));
    const decoded = yield* decodeRows("cancelWork", CancelRow)(rowsOf(rows));
    const row = decoded[0];
    if (row !== undefined) return { _tag: "Cancelled", agentId: row.agent_id, previous: row.previous as WorkState } satisfies CancelOutcome;
    const existing = yield* get(workId);
    return Option.match(existing, {
      onNone: () => ({ _tag: "UnknownWork" }) satisfies CancelOutcome,
      onSome: (w) => ({ _tag: "AlreadyEnded", state: w.state }) satisfies CancelOutcome
    });
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
    if (row.late > 0) return { _tag: "Late", state: row.previous } satisfies ResultOutcome;
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
      filter.states === undefined ? undefined : sql`state in (${sql.join(filter.states.map((st) => sql`${st}`), sql`, `)})`,
      filter.agent === undefined ? undefined : sql`agent_id = ${filter.agent}`,
      filter.updatedSince === undefined ? undefined : sql`updated_at >= ${filter.updatedSince}::timestamptz`
    ].filter((c) => c !== undefined);
    const where = conditions.length === 0 ? sql`` : sql` where ${sql.join(conditions, sql` and `)}`;
    const rows = yield* use("listWork", (db) =>
      db.execute(sql`${workSummarySelect}${where} order by created_at desc, work_id limit ${filter.limit ?? 100}`)
    );
    return yield* decodeRows("listWork", WorkSummaryRow)(rowsOf(rows));
  });

  return {
    route,
    enqueue,
    impossible,
    waitingReason: waiting,
    hasQueuedLike,
    place,
    queue,
    expire,
    bookings,
    cancel,
    markDispatched,
    fail,
    markRunning,
    recordResult,
    timeOut,
    get,
    list
  } satisfies WorkRegistryShape;
});

/** The work repository over the RegistryDatabase the AgentRegistry uses too. */
export const WorkRegistryLive: Layer.Layer<WorkRegistry, never, RegistryDatabase> = Layer.effect(WorkRegistry, makeWorkRegistry);
