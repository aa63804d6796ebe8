import { and, asc, count, eq, inArray, lt, sql } from "drizzle-orm";
import { Effect, Layer, Option, Schedule, Schema } from "effect";
import type { StatusUpdate } from "@homelab/protocol";
import { type AgentFilter, AgentRegistry, type AgentRegistryShape, type CapacityFilter } from "../Services/AgentRegistry.ts";
import { decodeFirst, decodeRows, rowsOf } from "../drivers/shared.ts";
import { type RegistryError, sqlState } from "../errors.ts";
import { SWEEP_LOCK_KEY } from "../migrations.ts";
import { RegistryDatabase } from "../Services/RegistryDatabase.ts";
import { capacityStatement, CapacityRow, withTotals } from "../repository/capacity.ts";
import { ApplyRow, applyStatement, latestPerAgent } from "../repository/heartbeats.ts";
import { agentChangesStatement, AgentChangeRow, fleetStatement, FleetRow } from "../repository/fleet.ts";
import { historyStatement, HistoryRow, pruneHistoryStatement } from "../repository/history.ts";
import { markOfflineStatement, MarkOfflineRow } from "../repository/offline.ts";
import { agentColumns, agentDetailColumns, AgentDetailRow, AgentRow, Count, isoUtc } from "../repository/rows.ts";

const NowRow = Schema.Struct({ now: Schema.String });
import { agentRegistry } from "../schema.ts";

const AgentIdRow = Schema.Struct({ agent_id: Schema.String });
const DeadlineRow = Schema.Struct({ seconds: Schema.NullOr(Schema.Finite) });

// Two orchestrators applying overlapping batches lock rows in the same order,
// so a deadlock (40P01) should not happen; if the server still reports one,
// the whole statement was rolled back and is safe to run again.
const retryDeadlock = <A>(effect: Effect.Effect<A, RegistryError>) =>
  effect.pipe(Effect.retry({ schedule: Schedule.recurs(2), while: (e) => sqlState(e) === "40P01" }));

/** SPEC §3's default heartbeat timeout: a registered boot silent this long gives way to any other boot. */
const DEFAULT_SILENT_BOOT_SECONDS = 90;

/** The agent_registry repository over a RegistryDatabase, the same code for both drivers. */
export const makeAgentRegistry = Effect.gen(function* () {
  const database = yield* RegistryDatabase;
  const { use } = database;

  const applyHeartbeats = Effect.fn("AgentRegistry.applyHeartbeats")(function* (
    batch: ReadonlyArray<StatusUpdate>,
    options?: { readonly silentBootSeconds?: number; readonly history?: boolean }
  ) {
    if (batch.length === 0) return { applied: 0, ignored: 0, transitions: [] };
    const heartbeats = latestPerAgent(batch);
    const silent = options?.silentBootSeconds ?? DEFAULT_SILENT_BOOT_SECONDS;
    const rows = yield* retryDeadlock(database.executePrepared("applyHeartbeats", applyStatement(heartbeats, silent, options?.history ?? true)));
    const { result: applied } = yield* decodeFirst("applyHeartbeats", ApplyRow, rows);
    return { applied: applied.applied, ignored: batch.length - applied.applied, transitions: applied.transitions };
  });

  const findStale = Effect.fn("AgentRegistry.findStale")(function* (timeoutSeconds: number) {
    const rows = yield* use("findStale", (db) =>
      db
        .select({ agent_id: agentRegistry.agentId })
        .from(agentRegistry)
        .where(
          and(
            eq(agentRegistry.status, "online"),
            lt(agentRegistry.lastHeartbeatAt, sql`now() - make_interval(secs => ${timeoutSeconds})`)
          )
        )
        .orderBy(asc(agentRegistry.agentId))
    );
    const decoded = yield* decodeRows("findStale", AgentIdRow)(rows);
    return decoded.map((r) => r.agent_id);
  });

  // min() over the online rows is answered from the end of the
  // (status, last_heartbeat_at) index, the sweep's own: one row read, whatever the fleet's size.
  const nextOfflineDeadline = Effect.fn("AgentRegistry.nextOfflineDeadline")(function* (timeoutSeconds: number) {
    const rows = yield* use("nextOfflineDeadline", (db) =>
      db.execute(sql`
        select extract(epoch from (min(last_heartbeat_at) + make_interval(secs => ${timeoutSeconds}::float8) - now()))::float8 as seconds
        from agent_registry where status = 'online'`)
    );
    const { seconds } = yield* decodeFirst("nextOfflineDeadline", DeadlineRow, rowsOf(rows));
    return Option.fromNullishOr(seconds);
  });

  const markOffline = Effect.fn("AgentRegistry.markOffline")(function* (
    agentIds: ReadonlyArray<string>,
    reason: string,
    options?: { readonly silentForSeconds?: number; readonly bootId?: string }
  ) {
    if (agentIds.length === 0) return [];
    const result = yield* retryDeadlock(
      use("markOffline", (db) => db.execute(markOfflineStatement(agentIds, reason, options?.silentForSeconds, options?.bootId)))
    );
    const { result: changed } = yield* decodeFirst("markOffline", MarkOfflineRow, rowsOf(result));
    return changed.map(({ transition, lost_work }) => ({ ...transition, lost_work }));
  });

  const countOnline = use("countOnline", (db) =>
    db.select({ count: count() }).from(agentRegistry).where(eq(agentRegistry.status, "online"))
  ).pipe(
    Effect.flatMap((rows) => decodeFirst("countOnline", Count, rows)),
    Effect.map((row) => row.count),
    Effect.withSpan("AgentRegistry.countOnline")
  );

  const listAgents = Effect.fn("AgentRegistry.listAgents")(function* (filter: AgentFilter) {
    const rows = yield* use("listAgents", (db) =>
      db
        .select(agentColumns)
        .from(agentRegistry)
        .where(
          and(
            filter.status === undefined ? undefined : eq(agentRegistry.status, filter.status),
            filter.pool === undefined ? undefined : eq(agentRegistry.poolName, filter.pool),
            filter.updatedSince === undefined ? undefined : sql`${agentRegistry.updatedAt} >= ${filter.updatedSince}::timestamptz`,
            filter.ids === undefined ? undefined : inArray(agentRegistry.agentId, [...filter.ids])
          )
        )
        .orderBy(asc(agentRegistry.agentId))
    );
    return yield* decodeRows("listAgents", AgentRow)(rows);
  });

  const agentChanges = Effect.fn("AgentRegistry.agentChanges")(function* (since: string) {
    const rows = yield* use("agentChanges", (db) => db.execute(agentChangesStatement(since)));
    return yield* decodeRows("agentChanges", AgentChangeRow)(rowsOf(rows));
  });

  const getAgent = Effect.fn("AgentRegistry.getAgent")(function* (agentId: string) {
    const rows = yield* use("getAgent", (db) =>
      db.select(agentDetailColumns).from(agentRegistry).where(eq(agentRegistry.agentId, agentId))
    );
    const decoded = yield* decodeRows("getAgent", AgentDetailRow)(rows);
    return Option.fromNullishOr(decoded[0]);
  });

  const history = Effect.fn("AgentRegistry.history")(function* (agentId: string, since: string, until: string) {
    const rows = yield* use("history", (db) => db.execute(historyStatement(agentId, since, until)));
    return yield* decodeRows("history", HistoryRow)(rowsOf(rows));
  });

  const pruneHistory = Effect.fn("AgentRegistry.pruneHistory")(function* (retentionDays: number) {
    const rows = yield* use("pruneHistory", (db) => db.execute(pruneHistoryStatement(retentionDays)));
    const [row] = yield* decodeRows("pruneHistory", Count)(rowsOf(rows));
    return row?.count ?? 0;
  });

  const databaseNow = use("databaseNow", (db) => db.execute(sql`select ${isoUtc(sql`now()`)} as now`)).pipe(
    Effect.flatMap((rows) => decodeFirst("databaseNow", NowRow, rowsOf(rows))),
    Effect.map((row) => row.now)
  );

  const fleet = use("fleet", (db) => db.execute(fleetStatement)).pipe(
    Effect.flatMap((rows) => decodeFirst("fleet", FleetRow, rowsOf(rows))),
    Effect.map((row) => row.fleet),
    Effect.withSpan("AgentRegistry.fleet")
  );

  const capacity = Effect.fn("AgentRegistry.capacity")(function* (filter: CapacityFilter) {
    const rows = yield* use("capacity", (db) => db.execute(capacityStatement(filter)));
    const queued = yield* use("countQueued", (db) => db.execute(sql`select count(*)::int as count from work where state = 'queued'`));
    const [count] = yield* decodeRows("countQueued", Count)(rowsOf(queued));
    return withTotals(yield* decodeRows("capacity", CapacityRow)(rowsOf(rows)), count?.count ?? 0);
  });

  const setDrained = Effect.fn("AgentRegistry.setDrained")(function* (agentId: string, drained: boolean) {
    yield* use("setDrained", (db) =>
      db.update(agentRegistry).set({ drained, updatedAt: sql`now()` }).where(eq(agentRegistry.agentId, agentId))
    );
    return yield* getAgent(agentId);
  });

  const withSweepLock = <A, E>(effect: Effect.Effect<A, E>) =>
    database.withTryAdvisoryLock(SWEEP_LOCK_KEY, effect).pipe(Effect.withSpan("AgentRegistry.withSweepLock"));

  const ping = use("ping", (db) => db.execute(sql`select 1`)).pipe(
    Effect.asVoid,
    Effect.withSpan("AgentRegistry.ping")
  );

  return {
    applyHeartbeats,
    findStale,
    nextOfflineDeadline,
    markOffline,
    countOnline,
    listAgents,
    agentChanges,
    getAgent,
    fleet,
    history,
    pruneHistory,
    databaseNow,
    capacity,
    setDrained,
    withSweepLock,
    ping
  } satisfies AgentRegistryShape;
});

/** The repository over a RegistryDatabase provided by the caller (shared with the work repository). */
export const AgentRegistryLive: Layer.Layer<AgentRegistry, never, RegistryDatabase> = Layer.effect(AgentRegistry, makeAgentRegistry);
