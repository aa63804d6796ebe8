import { type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { GpuType, WorkResult } from "@homelab/protocol";

// The statements of the work lifecycle (SPEC §5). Free capacity is always
// "what the agent last reported minus what work still active there holds":
// one definition, `active` below, used by routing and by its 409 diagnosis.

/** States in which work holds its allocation (and can still end). */
export const ACTIVE_STATES = ["pending", "dispatched", "running"] as const;
export const WORK_STATES = ["pending", "dispatched", "running", "succeeded", "failed", "timed_out", "rejected", "lost"] as const;
export const WorkState = Schema.Literals(WORK_STATES);
export type WorkState = typeof WorkState.Type;

export const activeList = sql.raw(ACTIVE_STATES.map((s) => `'${s}'`).join(", "));

/** What a job asks for; absent (or 0) means "no requirement" and books nothing. */
export interface RouteRequirements {
  readonly min_vram_gb?: number | undefined;
  readonly min_cores?: number | undefined;
  readonly min_memory_gb?: number | undefined;
  readonly gpu_type?: GpuType | undefined;
}

export interface RouteRequest {
  readonly work_id: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, string>>;
  readonly requirements: RouteRequirements;
  readonly timeout_seconds: number;
}

const positive = (x: number | undefined): number => (x !== undefined && x > 0 ? x : 0);

export interface Needs {
  readonly vram: number;
  readonly cores: number;
  readonly memory: number;
}
export const needsOf = (requirements: RouteRequirements): Needs => ({
  vram: positive(requirements.min_vram_gb),
  cores: positive(requirements.min_cores),
  memory: positive(requirements.min_memory_gb)
});

/** The resource a job is placed by: the most free of what it asks for (VRAM, then memory), else cores. */
const primaryOf = (needs: Needs) =>
  needs.vram > 0
    ? {
        // Led by a routing index's order (schema.ts), so the best idle agent is read off the index.
        order: sql.raw("best_gpu_vram_gb desc nulls last, cores_available desc nulls last, memory_available_gb desc nulls last, agent_id"),
        exact: sql.raw("free_vram desc, free_cores desc, free_memory desc, agent_id")
      }
    : needs.memory > 0
      ? {
          order: sql.raw("memory_available_gb desc nulls last, cores_available desc nulls last, agent_id"),
          exact: sql.raw("free_memory desc, free_cores desc, agent_id")
        }
      : {
          order: sql.raw("cores_available desc nulls last, memory_available_gb desc nulls last, agent_id"),
          exact: sql.raw("free_cores desc, free_memory desc, agent_id")
        };

/** Online, not draining, advertising the kind, of the GPU type asked for (plain columns: no JSON read). */
const eligible = (request: RouteRequest): SQL => sql`status = 'online' and reported_status <> 'draining'
    and capabilities @> jsonb_build_array(${request.kind}::text)
    ${request.requirements.gpu_type === undefined ? sql`` : sql`and gpu_type = ${request.requirements.gpu_type}::text`}`;

/** Agents that hold active work, and what it holds per agent and GPU (`active`) and per agent (`per_agent`). */
export const activeWork: SQL = sql`
active as (
  select agent_id, gpu_index,
    sum(coalesce((allocation ->> 'vram_gb')::float8, 0)) as vram,
    sum(coalesce((allocation ->> 'cores')::float8, 0)) as cores,
    sum(coalesce((allocation ->> 'memory_gb')::float8, 0)) as memory
  from work where state in (${activeList})
  group by agent_id, gpu_index
),
per_agent as (
  select agent_id, sum(vram) as vram, sum(cores) as cores, sum(memory) as memory from active group by agent_id
)`;

/** Exact free figures (reported minus booked, VRAM of the best GPU after bookings) of the agents in `top`. */
const sizedOf: SQL = sql`
sized as (
  select t.agent_id,
    t.cores_available - coalesce(p.cores, 0) as free_cores,
    t.memory_available_gb - coalesce(p.memory, 0) as free_memory,
    g.gpu_index, coalesce(g.free_vram, 0) as free_vram
  from top t
  left join per_agent p on p.agent_id = t.agent_id
  left join lateral (
    select (x ->> 'index')::int as gpu_index,
      (x ->> 'vram_available_gb')::float8 - coalesce(a.vram, 0) as free_vram
    from jsonb_array_elements(t.m -> 'gpus') x
    left join active a on a.agent_id = t.agent_id and a.gpu_index = (x ->> 'index')::int
    order by 2 desc, 1
    limit 1
  ) g on true
)`;

/**
 * The best agent for a job by exact free capacity (last heartbeat minus what
 * active work holds there, VRAM per GPU), without computing it for every
 * agent: for an agent with no active work the reported figures are exact, so
 * of those only the best by the stored figures (migration 0002, read off the
 * routing index of the resource the job is placed by) is a candidate; agents holding work are
 * sized exactly. With
 * thousands of agents the JSON of only those few is read.
 */
export const chooseStatement = (request: RouteRequest): SQL => {
  const needs = needsOf(request.requirements);
  const primary = primaryOf(needs);
  const fits = sql`${eligible(request)}
    and cores_available >= ${needs.cores}::float8 and memory_available_gb >= ${needs.memory}::float8
    and best_gpu_vram_gb >= ${needs.vram}::float8`;
  return sql`
with ${activeWork},
idle_best as (
  select agent_id from agent_registry
  where ${fits} and agent_id not in (select agent_id from per_agent)
  order by ${primary.order}
  limit 1
),
top as (
  select agent_id, resource_metrics as m, cores_available, memory_available_gb from agent_registry
  where agent_id in (select agent_id from idle_best)
  union all
  select agent_id, resource_metrics as m, cores_available, memory_available_gb from agent_registry
  where agent_id in (select agent_id from per_agent) and ${fits}
),
${sizedOf}
select agent_id, ${needs.vram > 0 ? sql`gpu_index` : sql`null::int`} as gpu_index
from sized
where free_cores >= ${needs.cores}::float8 and free_memory >= ${needs.memory}::float8
  ${needs.vram > 0 ? sql`and gpu_index is not null and free_vram >= ${needs.vram}::float8` : sql``}
order by ${primary.exact}
limit 1`;
};

/**
 * Chooses (chooseStatement) and books in one statement: the work row,
 * `pending`, with what it holds; returns the booked row (WorkRow), or no row
 * when nothing fits. Run it holding the routing lock, in a transaction of its
 * own, so that the next decision sees this booking.
 */
export const routeStatement = (request: RouteRequest): SQL => {
  const needs = needsOf(request.requirements);
  return sql`
with chosen as (${chooseStatement(request)})
insert into work (work_id, kind, params, requirements, timeout_seconds, agent_id, gpu_index, allocation, state)
select ${request.work_id}, ${request.kind}, ${JSON.stringify(request.params)}::text::jsonb,
  ${JSON.stringify(request.requirements)}::text::jsonb, ceil(${request.timeout_seconds}::float8)::int, agent_id, gpu_index,
  jsonb_build_object('vram_gb', ${needs.vram}::float8, 'cores', ${needs.cores}::float8, 'memory_gb', ${needs.memory}::float8), 'pending'
from chosen
returning ${sql.raw(WORK_COLUMNS)}`;
};

/** Why nothing fitted: the eligible agents counted, and the most of each resource free on one of them now. */
export const diagnoseStatement = (request: RouteRequest): SQL => sql`
with ${activeWork},
kinded as (
  select reported_status from agent_registry
  where status = 'online' and capabilities @> jsonb_build_array(${request.kind}::text)
),
cand as (
  select agent_id, best_gpu_vram_gb, cores_available, memory_available_gb from agent_registry where ${eligible(request)}
),
-- Exact figures of the eligible agents holding work; the others' reported figures are exact already.
top as (
  select agent_id, resource_metrics as m, cores_available, memory_available_gb from agent_registry
  where agent_id in (select agent_id from per_agent) and ${eligible(request)}
),
${sizedOf},
idle as (select * from cand where agent_id not in (select agent_id from per_agent))
select
  (select count(*)::int from agent_registry where status = 'online') as online,
  (select count(*)::int from kinded) as with_kind,
  (select count(*)::int from kinded where reported_status <> 'draining') as not_draining,
  (select count(*)::int from cand) as candidates,
  greatest((select max(best_gpu_vram_gb) from idle), (select max(free_vram) from sized)) as best_vram,
  greatest((select max(cores_available) from idle), (select max(free_cores) from sized)) as best_cores,
  greatest((select max(memory_available_gb) from idle), (select max(free_memory) from sized)) as best_memory`;

export const DiagnosisRow = Schema.Struct({
  online: Schema.Finite,
  with_kind: Schema.Finite,
  not_draining: Schema.Finite,
  candidates: Schema.Finite,
  best_vram: Schema.NullOr(Schema.Finite),
  best_cores: Schema.NullOr(Schema.Finite),
  best_memory: Schema.NullOr(Schema.Finite)
});
export type DiagnosisRow = typeof DiagnosisRow.Type;

const gb = (x: number) => `${Math.round(x * 100) / 100} GB`;
const n = (x: number) => `${Math.round(x * 100) / 100}`;

/** The 409's sentence: the first thing that rules every agent out, with the best figures there are. */
export const noFitReason = (request: RouteRequest, d: DiagnosisRow): string => {
  const kind = `kind "${request.kind}"`;
  if (d.online === 0) return "no agent is online";
  if (d.with_kind === 0) return `no online agent advertises ${kind} (${d.online} online)`;
  if (d.not_draining === 0) return `every online agent with ${kind} is draining`;
  if (d.candidates === 0) return `no online agent with ${kind} has gpu_type ${request.requirements.gpu_type}`;
  const short: Array<string> = [];
  const r = request.requirements;
  if (positive(r.min_vram_gb) > 0 && (d.best_vram ?? 0) < positive(r.min_vram_gb)) {
    short.push(`min_vram_gb ${n(positive(r.min_vram_gb))} on one GPU (most free now: ${gb(d.best_vram ?? 0)})`);
  }
  if (positive(r.min_cores) > 0 && (d.best_cores ?? 0) < positive(r.min_cores)) {
    short.push(`min_cores ${n(positive(r.min_cores))} (most free now: ${n(d.best_cores ?? 0)})`);
  }
  if (positive(r.min_memory_gb) > 0 && (d.best_memory ?? 0) < positive(r.min_memory_gb)) {
    short.push(`min_memory_gb ${n(positive(r.min_memory_gb))} (most free now: ${gb(d.best_memory ?? 0)})`);
  }
  const counted = `${d.candidates} online agent${d.candidates === 1 ? "" : "s"} with ${kind}`;
  return short.length > 0
    ? `none of the ${counted} has room: needs ${short.join(", ")}; free capacity is the last heartbeat minus work already running there`
    : `none of the ${counted} meets every requirement at once; free capacity is the last heartbeat minus work already running there`;
};

/** The request is on the agent's queue: pending → dispatched (unless it already ended or runs). */
export const dispatchedStatement = (workId: string): SQL => sql`
update work set state = 'dispatched', dispatched_at = now(), updated_at = now()
where work_id = ${workId} and state = 'pending'`;

/** Ends active work for an orchestrator-side reason (not dispatched, lost, timed out); returns the ids. */
export const endStatement = (where: SQL, state: WorkState, reason: string): SQL => sql`
update work set state = ${state}::text, reason = ${reason}::text, finished_at = now(), updated_at = now()
where state in (${activeList}) and ${where}
returning work_id`;

/** Heartbeats' current_work: pending/dispatched work the agent says it runs is `running`. */
export const runningStatement = (reports: ReadonlyArray<{ readonly agent_id: string; readonly current_work: ReadonlyArray<string> }>): SQL => sql`
with listed as (
  select x ->> 'agent_id' as agent_id, jsonb_array_elements_text(x -> 'current_work') as work_id
  from jsonb_array_elements(${JSON.stringify(reports)}::text::jsonb) x
)
update work w set state = 'running', started_at = coalesce(w.started_at, now()), updated_at = now()
from listed l
where w.work_id = l.work_id and w.agent_id = l.agent_id and w.state in ('pending', 'dispatched')
returning w.work_id`;

/**
 * Stores an agent's result: the state becomes the result's status and the
 * allocation is released. A result also ends work the orchestrator had given
 * up on (lost, timed_out): the agent's word is the truth about what happened.
 * Answers what the row was before, so the caller can tell a duplicate or a
 * result from the wrong agent from an applied one.
 */
export const resultStatement = (result: WorkResult): SQL => sql`
with before as (
  select work_id, agent_id, state from work where work_id = ${result.work_id} for update
),
updated as (
  update work w set state = ${result.status}::text, result = ${JSON.stringify(result)}::text::jsonb,
    reason = null, finished_at = now(), updated_at = now(),
    started_at = coalesce(w.started_at, ${result.started_at}::timestamptz)
  from before b
  where w.work_id = b.work_id and b.agent_id = ${result.agent_id}
    and b.state in (${activeList}, 'lost', 'timed_out')
  returning w.work_id
)
select (select agent_id from before) as agent_id, (select state from before) as previous,
  (select count(*)::int from updated) as updated`;

export const ResultRow = Schema.Struct({
  agent_id: Schema.NullOr(Schema.String),
  previous: Schema.NullOr(WorkState),
  updated: Schema.Finite
});

/** Times as `2025-01-31T12:00:00.123Z`, or null. */
const iso = (column: string) =>
  `case when ${column} is null then null else to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end as ${column}`;

/** The columns WorkRow decodes, for selects and for `returning`. */
const WORK_COLUMNS = `work_id, kind, params, requirements, timeout_seconds, agent_id, gpu_index,
  allocation, state, result, reason, ${iso("created_at")}, ${iso("dispatched_at")}, ${iso("started_at")},
  ${iso("finished_at")}, ${iso("updated_at")}`;

export const workSelect = sql.raw(`select ${WORK_COLUMNS} from work`);

/** The same columns with the result's `output` left out (it can be 1 MiB per job): for listings. */
export const workSummarySelect = sql.raw(`select ${WORK_COLUMNS.replace(/\bresult\b/, "(result - 'output') as result")} from work`);

const Allocation = Schema.Struct({ vram_gb: Schema.Finite, cores: Schema.Finite, memory_gb: Schema.Finite });

export const WorkRow = Schema.Struct({
  work_id: Schema.String,
  kind: Schema.String,
  params: Schema.Record(Schema.String, Schema.String),
  requirements: Schema.Record(Schema.String, Schema.Unknown),
  timeout_seconds: Schema.Finite,
  agent_id: Schema.String,
  gpu_index: Schema.NullOr(Schema.Finite),
  allocation: Allocation,
  state: WorkState,
  result: Schema.NullOr(WorkResult),
  reason: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  dispatched_at: Schema.NullOr(Schema.String),
  started_at: Schema.NullOr(Schema.String),
  finished_at: Schema.NullOr(Schema.String),
  updated_at: Schema.String
});
export type WorkRecord = typeof WorkRow.Type;

const { output: _output, ...summaryFields } = WorkResult.fields;
/** A work_result without its `output`. */
export const WorkResultSummary = Schema.Struct(summaryFields);

/** A work row as listed: its result without `output`. */
export const WorkSummaryRow = Schema.Struct({ ...WorkRow.fields, result: Schema.NullOr(WorkResultSummary) });
export type WorkSummary = typeof WorkSummaryRow.Type;
