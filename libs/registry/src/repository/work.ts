import { type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { GpuType, WorkResult } from "@homelab/protocol";

// The statements of the work lifecycle (SPEC §5). Free capacity is always
// "what the agent last reported minus what work still active there holds":
// one definition, `active` below, used by routing and by its 409 diagnosis.

/** States in which work holds its allocation (and can still end). */
export const ACTIVE_STATES = ["pending", "dispatched", "running"] as const;
/** Ended by the orchestrator before the agent said how it went: a result arriving now is kept as `late_result`. */
export const GIVEN_UP_STATES = ["lost", "timed_out", "cancelled", "expired"] as const;
export const WORK_STATES = [
  "queued",
  "pending",
  "dispatched",
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "rejected",
  "lost",
  "cancelled",
  "expired"
] as const;
export const WorkState = Schema.Literals(WORK_STATES);
export type WorkState = typeof WorkState.Type;

export const activeList = sql.raw(ACTIVE_STATES.map((s) => `'${s}'`).join(", "));
const givenUpList = sql.raw(GIVEN_UP_STATES.map((s) => `'${s}'`).join(", "));

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

/** Where a decision may place work: any eligible agent, or only these (the ones a heartbeat batch just freed). */
export type Among = ReadonlyArray<string> | undefined;

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

/**
 * The resource a job is placed by: the most free of what it asks for (VRAM,
 * then memory), else cores. `order` reads the stored figures (led by a
 * routing index's order, schema.ts), `exact` the sized ones; both end before
 * the tie-breakers.
 */
const primaryOf = (needs: Needs) =>
  needs.vram > 0
    ? {
        order: "best_gpu_vram_gb desc nulls last, cores_available desc nulls last, memory_available_gb desc nulls last",
        exact: "free_vram desc, free_cores desc, free_memory desc"
      }
    : needs.memory > 0
      ? { order: "memory_available_gb desc nulls last, cores_available desc nulls last", exact: "free_memory desc, free_cores desc" }
      : { order: "cores_available desc nulls last, memory_available_gb desc nulls last", exact: "free_cores desc, free_memory desc" };

/** What the agent's own kind `requires` adds to a job's needs (its heartbeat's task_requires; nothing when absent). */
const kindNeed = (request: RouteRequest, field: "min_vram_gb" | "min_cores" | "min_memory_gb") =>
  sql`coalesce((task_requires -> ${request.kind}::text ->> ${field}::text)::float8, 0)`;

/**
 * Online, not draining (by its own report or through the API), advertising
 * the kind, of the GPU type asked for (by the job and by the agent's kind);
 * `among`: only those agents.
 */
const eligible = (request: RouteRequest, among: Among = undefined): SQL => sql`status = 'online' and reported_status <> 'draining' and not drained
    and capabilities @> jsonb_build_array(${request.kind}::text)
    ${request.requirements.gpu_type === undefined ? sql`` : sql`and gpu_type = ${request.requirements.gpu_type}::text`}
    ${among === undefined ? sql`` : sql`and agent_id in (select jsonb_array_elements_text(${JSON.stringify(among)}::text::jsonb))`}`;

/** `eligible`, and of a GPU type the agent's kind `requires` (when it says). */
const eligibleForKind = (request: RouteRequest): SQL =>
  sql`${eligible(request)} and coalesce(task_requires -> ${request.kind}::text ->> 'gpu_type', gpu_type) = gpu_type`;

/** Agents that hold active work, and what it holds per agent and GPU (`active`) and per agent (`per_agent`). */
export const activeWork: SQL = sql`
active as (
  select agent_id, gpu_index,
    sum(coalesce((allocation ->> 'vram_gb')::float8, 0)) as vram,
    sum(coalesce((allocation ->> 'cores')::float8, 0)) as cores,
    sum(coalesce((allocation ->> 'memory_gb')::float8, 0)) as memory,
    count(*)::int as jobs
  from work where state in (${activeList})
  group by agent_id, gpu_index
),
per_agent as (
  select agent_id, sum(vram) as vram, sum(cores) as cores, sum(memory) as memory, sum(jobs)::int as jobs from active group by agent_id
)`;

/**
 * Exact free figures (reported minus booked, VRAM of the best GPU after
 * bookings) of the agents in `top`, with their free slots (null: the agent
 * does not say how many jobs it runs at once) and what the job needs there
 * (its own requirements raised to what the agent's kind requires).
 */
const sizedOf: SQL = sql`
sized as (
  select t.agent_id, t.last_given_at,
    t.cores_available - coalesce(p.cores, 0) as free_cores,
    t.memory_available_gb - coalesce(p.memory, 0) as free_memory,
    t.max_concurrent_work - coalesce(p.jobs, 0) as free_slots,
    t.need_vram, t.need_cores, t.need_memory,
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

/** The columns `top` carries for `sized` (what the job needs on that agent included). */
const topColumns = (request: RouteRequest, needs: Needs): SQL => sql`agent_id, resource_metrics as m, cores_available, memory_available_gb,
    max_concurrent_work, last_given_at,
    greatest(${needs.vram}::float8, ${kindNeed(request, "min_vram_gb")}) as need_vram,
    greatest(${needs.cores}::float8, ${kindNeed(request, "min_cores")}) as need_cores,
    greatest(${needs.memory}::float8, ${kindNeed(request, "min_memory_gb")}) as need_memory`;

/**
 * The best agent for a job by exact free capacity (last heartbeat minus what
 * active work holds there, VRAM per GPU) and free slots, without computing it
 * for every agent: for an agent with no active work the reported figures are
 * exact, so of those only the best by the stored figures (migration 0002,
 * read off the routing index of the resource the job is placed by) is a
 * candidate; agents holding work are sized exactly. With thousands of agents
 * the JSON of only those few is read. A job asking for nothing is placed by
 * free slots, then on the agent given work least recently, so such jobs
 * spread; with equal fit otherwise the same two break ties. Returns the
 * agent, the GPU and what to book there.
 */
export const chooseStatement = (request: RouteRequest, among: Among = undefined): SQL => {
  const needs = needsOf(request.requirements);
  const primary = primaryOf(needs);
  const plain = needs.vram === 0 && needs.memory === 0 && needs.cores === 0;
  // What plain columns with statistics decide, then what the kind's requires (JSON) add.
  const plainFits = sql`${eligible(request, among)}
    and cores_available >= ${needs.cores}::float8 and memory_available_gb >= ${needs.memory}::float8
    and best_gpu_vram_gb >= ${needs.vram}::float8`;
  const kindFits = sql`coalesce(task_requires -> ${request.kind}::text ->> 'gpu_type', gpu_type) = gpu_type
    and cores_available >= ${kindNeed(request, "min_cores")}
    and memory_available_gb >= ${kindNeed(request, "min_memory_gb")}
    and best_gpu_vram_gb >= ${kindNeed(request, "min_vram_gb")}`;
  const fits = sql`${plainFits} and ${kindFits}`;
  // Equal fit: the most free slots, then the agent given work least recently.
  // Idle agents all have every slot free: the best of them by the routing index (a full scan by slots would read every agent).
  const idleOrder = sql.raw(`${primary.order}, agent_id`);
  const exactOrder = sql.raw(
    `${plain ? "" : `${primary.exact}, `}free_slots desc nulls last, last_given_at asc nulls first, agent_id`
  );
  return sql`
with ${activeWork},
-- The best idle agent. The kinds' requires are JSON the planner has no
-- statistics for: filtered on their own, they make it guess one match and
-- sort every agent instead of reading the routing index. So the first 50 by
-- the index that pass the plain filters are checked for them; only if none
-- passes is every agent checked (the second branch runs only then).
idle_best as (
  (select agent_id from (
      select agent_id, task_requires, gpu_type, best_gpu_vram_gb, cores_available, memory_available_gb, max_concurrent_work from agent_registry
      where ${plainFits} and agent_id not in (select agent_id from per_agent)
      order by ${idleOrder}
      limit 50
    ) first50
    where ${kindFits}
    order by ${idleOrder}
    limit 1)
  union all
  (select agent_id from agent_registry
    where ${fits} and agent_id not in (select agent_id from per_agent)
    order by ${idleOrder}
    limit 1)
  limit 1
),
top as (
  select ${topColumns(request, needs)} from agent_registry
  where agent_id in (select agent_id from idle_best)
  union all
  select ${topColumns(request, needs)} from agent_registry r
  where agent_id in (select agent_id from per_agent) and ${fits}
    -- A full agent is out before its JSON is read (with every agent busy, this is most of them).
    and (r.max_concurrent_work is null or r.max_concurrent_work > (select p.jobs from per_agent p where p.agent_id = r.agent_id))
),
${sizedOf}
select agent_id as chosen_agent, case when need_vram > 0 then gpu_index else null::int end as chosen_gpu,
  need_vram as vram_gb, need_cores as cores, need_memory as memory_gb
from sized
where free_cores >= need_cores and free_memory >= need_memory
  and (free_slots is null or free_slots > 0)
  and (need_vram = 0 or (gpu_index is not null and free_vram >= need_vram))
order by ${exactOrder}
limit 1`;
};

/** Books what `chosen` picked on its agent: it was given work now (fairness), and the allocation it holds. */
const givenAndAllocation = sql`
given as (
  update agent_registry r set last_given_at = clock_timestamp() from chosen c where r.agent_id = c.chosen_agent returning r.agent_id
)`;

const allocationOf = sql`jsonb_build_object('vram_gb', c.vram_gb, 'cores', c.cores, 'memory_gb', c.memory_gb)`;

/**
 * Chooses (chooseStatement) and books in one statement: the work row,
 * `pending`, with what it holds; returns the booked row (WorkRow), or no row
 * when nothing fits. Run it holding the routing lock, in a transaction of its
 * own, so that the next decision sees this booking.
 */
export const routeStatement = (request: RouteRequest, priority = 0): SQL => sql`
with chosen as (${chooseStatement(request)}), ${givenAndAllocation}
insert into work (work_id, kind, params, requirements, timeout_seconds, agent_id, gpu_index, allocation, state, priority)
select ${request.work_id}, ${request.kind}, ${JSON.stringify(request.params)}::text::jsonb,
  ${JSON.stringify(request.requirements)}::text::jsonb, ceil(${request.timeout_seconds}::float8)::int, c.chosen_agent, c.chosen_gpu,
  ${allocationOf}, 'pending', ${priority}::int
from chosen c
returning ${sql.raw(WORK_COLUMNS)}`;

/** Puts a job in the queue (no agent, nothing booked) with its priority and, optionally, how long it may wait. */
export const enqueueStatement = (request: RouteRequest, priority: number, maxWaitSeconds: number | undefined): SQL => sql`
insert into work (work_id, kind, params, requirements, timeout_seconds, agent_id, gpu_index, allocation, state, priority, queue_expires_at)
values (${request.work_id}, ${request.kind}, ${JSON.stringify(request.params)}::text::jsonb,
  ${JSON.stringify(request.requirements)}::text::jsonb, ceil(${request.timeout_seconds}::float8)::int, null, null,
  '{"vram_gb": 0, "cores": 0, "memory_gb": 0}'::jsonb, 'queued', ${priority}::int,
  ${maxWaitSeconds === undefined ? sql`null` : sql`now() + make_interval(secs => ${maxWaitSeconds}::float8)`})
returning ${sql.raw(WORK_COLUMNS)}`;

/** Places one queued job (still queued) on the best agent among `among`; the booked row, or none. */
export const placeStatement = (request: RouteRequest, among: Among): SQL => sql`
with chosen as (${chooseStatement(request, among)}), ${givenAndAllocation}
update work set agent_id = c.chosen_agent, gpu_index = c.chosen_gpu, allocation = ${allocationOf},
  state = 'pending', updated_at = now()
from chosen c
where work_id = ${request.work_id} and state = 'queued'
returning ${sql.raw(WORK_COLUMNS)}`;

/** Why nothing fitted: the eligible agents counted, and the most of each resource free on one of them now. */
export const diagnoseStatement = (request: RouteRequest): SQL => sql`
with ${activeWork},
kinded as (
  select reported_status from agent_registry
  where status = 'online' and capabilities @> jsonb_build_array(${request.kind}::text)
),
cand as (
  select agent_id, best_gpu_vram_gb, cores_available, memory_available_gb from agent_registry where ${eligibleForKind(request)}
),
-- Exact figures of the eligible agents holding work; the others' reported figures are exact already.
top as (
  select ${topColumns(request, needsOf(request.requirements))} from agent_registry
  where agent_id in (select agent_id from per_agent) and ${eligibleForKind(request)}
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

/**
 * Why a queued job waits: the eligible agent nearest to taking it (sized
 * exactly, by the resource the job is placed by) with its free figures and
 * what the job needs there, and how many agents with the kind are busy (no
 * free slot) or draining.
 */
export const waitingStatement = (request: RouteRequest): SQL => {
  const needs = needsOf(request.requirements);
  const primary = primaryOf(needs);
  return sql`
with ${activeWork},
kinded as (
  select status, reported_status, drained from agent_registry where capabilities @> jsonb_build_array(${request.kind}::text)
),
top as (select ${topColumns(request, needs)} from agent_registry where ${eligibleForKind(request)}),
${sizedOf},
nearest as (
  select agent_id, gpu_index, free_vram, free_cores, free_memory, free_slots, need_vram, need_cores, need_memory
  from sized order by (free_slots is null or free_slots > 0) desc, ${sql.raw(primary.exact)}, agent_id limit 1
)
select
  (select count(*)::int from agent_registry where status = 'online') as online,
  (select count(*)::int from kinded where status = 'online') as with_kind,
  (select count(*)::int from kinded where status = 'online' and (reported_status = 'draining' or drained)) as draining,
  (select count(*)::int from sized) as candidates,
  (select count(*)::int from sized where free_slots is not null and free_slots <= 0) as busy,
  n.agent_id, n.gpu_index, n.free_vram, n.free_cores, n.free_memory, n.free_slots, n.need_vram, n.need_cores, n.need_memory
from (select 1) one left join nearest n on true`;
};

const NullableNumber = Schema.NullOr(Schema.Finite);
export const WaitingRow = Schema.Struct({
  online: Schema.Finite,
  with_kind: Schema.Finite,
  draining: Schema.Finite,
  candidates: Schema.Finite,
  busy: Schema.Finite,
  agent_id: Schema.NullOr(Schema.String),
  gpu_index: NullableNumber,
  free_vram: NullableNumber,
  free_cores: NullableNumber,
  free_memory: NullableNumber,
  free_slots: NullableNumber,
  need_vram: NullableNumber,
  need_cores: NullableNumber,
  need_memory: NullableNumber
});
export type WaitingRow = typeof WaitingRow.Type;

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The queued job's `waiting_reason`: the nearest agent and its shortfall, then who is busy or draining. */
export const waitingReason = (request: RouteRequest, w: WaitingRow): string => {
  const kind = `kind "${request.kind}"`;
  if (w.online === 0) return "no agent is online";
  if (w.with_kind === 0) return `no online agent advertises ${kind} (${w.online} online)`;
  if (w.candidates === 0) {
    return w.draining === w.with_kind
      ? `every online agent with ${kind} is draining`
      : `no online agent with ${kind} has gpu_type ${request.requirements.gpu_type ?? "the kind requires"}`;
  }
  const parts: Array<string> = [];
  const agent = w.agent_id ?? "?";
  const short: Array<string> = [];
  if ((w.need_vram ?? 0) > 0 && (w.free_vram ?? 0) < (w.need_vram ?? 0)) {
    short.push(`gpu${w.gpu_index ?? 0} on ${agent} has ${n(Math.max(0, w.free_vram ?? 0))} of ${n(w.need_vram ?? 0)} GB free`);
  }
  if ((w.need_cores ?? 0) > 0 && (w.free_cores ?? 0) < (w.need_cores ?? 0)) {
    short.push(`${agent} has ${n(Math.max(0, w.free_cores ?? 0))} of ${n(w.need_cores ?? 0)} cores free`);
  }
  if ((w.need_memory ?? 0) > 0 && (w.free_memory ?? 0) < (w.need_memory ?? 0)) {
    short.push(`${agent} has ${n(Math.max(0, w.free_memory ?? 0))} of ${n(w.need_memory ?? 0)} GB of memory free`);
  }
  if (w.free_slots !== null && w.free_slots <= 0) short.push(`${agent} has no free slot`);
  if (short.length > 0) parts.push(short.join(", "));
  if (w.busy > 0) parts.push(`${plural(w.busy, "agent", "agents")} with ${kind} ${w.busy === 1 ? "is" : "are"} busy`);
  if (w.draining > 0) parts.push(`${plural(w.draining, "agent", "agents")} with ${kind} ${w.draining === 1 ? "is" : "are"} draining`);
  // Room appeared since the last attempt: placement is about to take it.
  return parts.length > 0 ? parts.join("; ") : `${agent} has room now; waiting for placement`;
};

/**
 * Could the job ever run here, on an empty fleet? Over every registered
 * agent with the kind (online or not): the largest GPU, the most cores and
 * memory any one machine has in total.
 */
export const feasibilityStatement = (request: RouteRequest): SQL => sql`
select count(*)::int as with_kind,
  max((select max((x ->> 'vram_total_gb')::float8) from jsonb_array_elements(resource_metrics -> 'gpus') x)) as largest_gpu,
  max((resource_metrics ->> 'cpu_cores_total')::float8) as most_cores,
  max((resource_metrics ->> 'memory_total_gb')::float8) as most_memory
from agent_registry
where capabilities @> jsonb_build_array(${request.kind}::text)
  ${request.requirements.gpu_type === undefined ? sql`` : sql`and gpu_type = ${request.requirements.gpu_type}::text`}`;

export const FeasibilityRow = Schema.Struct({
  with_kind: Schema.Finite,
  largest_gpu: NullableNumber,
  most_cores: NullableNumber,
  most_memory: NullableNumber
});

/** Why no agent could ever take the job (it is refused, not queued), or undefined when one could. */
export const impossibleReason = (request: RouteRequest, f: typeof FeasibilityRow.Type): string | undefined => {
  const kind = `kind "${request.kind}"`;
  const gpuType = request.requirements.gpu_type === undefined ? "" : ` and gpu_type ${request.requirements.gpu_type}`;
  if (f.with_kind === 0) return `no registered agent advertises ${kind}${gpuType}, so it could never run`;
  const needs = needsOf(request.requirements);
  const short: Array<string> = [];
  if (needs.vram > (f.largest_gpu ?? 0)) short.push(`min_vram_gb ${n(needs.vram)} on one GPU (the largest has ${gb(f.largest_gpu ?? 0)})`);
  if (needs.cores > (f.most_cores ?? 0)) short.push(`min_cores ${n(needs.cores)} (the most any has: ${n(f.most_cores ?? 0)})`);
  if (needs.memory > (f.most_memory ?? 0)) short.push(`min_memory_gb ${n(needs.memory)} (the most any has: ${gb(f.most_memory ?? 0)})`);
  return short.length === 0
    ? undefined
    : `no registered agent with ${kind}${gpuType} could take it even with nothing else running: needs ${short.join(", ")}`;
};

/** The queue in placement order, each with its 1-based position. */
export const queueStatement = (limit: number): SQL => sql`
select ${sql.raw(WORK_COLUMNS)}, row_number() over (order by priority desc, submit_order)::int as position
from work where state = 'queued'
order by priority desc, submit_order
limit ${limit}`;

/** The next queued job of one shape (same kind and requirements) in queue order; none when that shape is empty. */
export const nextOfShapeStatement = (kind: string, requirements: Readonly<Record<string, unknown>>): SQL => sql`
select ${sql.raw(WORK_COLUMNS)} from work
where state = 'queued' and kind = ${kind} and requirements = ${JSON.stringify(requirements)}::text::jsonb
order by priority desc, submit_order
limit 1`;

/** A row when any job is queued (the queue's partial index; nothing read when it is empty). */
export const anyQueuedStatement: SQL = sql`select 1 as queued from work where state = 'queued' limit 1`;

/**
 * The first queued job, in queue order, that some agent could take now by
 * its exact free figures (reported minus what active work books, VRAM per
 * GPU, a free slot, not draining, the kind and what the kind requires):
 * the next one to place. `among`: only those agents count (what an event
 * freed); `skip`: shapes (kind + requirements) already tried in this pass.
 * Reads the queue in its index order and stops at the first job that fits,
 * so a pass over a long queue costs one index scan per placement.
 */
export const nextPlaceableStatement = (among: Among, skip: ReadonlyArray<{ readonly kind: string; readonly requirements: unknown }>): SQL => sql`
with ${activeWork},
-- Materialized: computed once, not once per queued row the scan below reads.
cap as materialized (
  select r.agent_id, r.capabilities, r.gpu_type, r.task_requires,
    r.cores_available - coalesce(p.cores, 0) as free_cores,
    r.memory_available_gb - coalesce(p.memory, 0) as free_memory,
    coalesce((
      select max((x ->> 'vram_available_gb')::float8 - coalesce(a.vram, 0))
      from jsonb_array_elements(r.resource_metrics -> 'gpus') x
      left join active a on a.agent_id = r.agent_id and a.gpu_index = (x ->> 'index')::int
    ), 0) as free_vram
  from agent_registry r left join per_agent p on p.agent_id = r.agent_id
  where r.status = 'online' and r.reported_status <> 'draining' and not r.drained
    and (r.max_concurrent_work is null or r.max_concurrent_work > coalesce(p.jobs, 0))
    ${among === undefined ? sql`` : sql`and r.agent_id in (select jsonb_array_elements_text(${JSON.stringify(among)}::text::jsonb))`}
),
skipped as materialized (
  select x ->> 'kind' as kind, x -> 'requirements' as requirements
  from jsonb_array_elements(${JSON.stringify(skip)}::text::jsonb) x
)
select ${sql.raw(WORK_COLUMNS)} from work w
where state = 'queued'
  and not exists (select 1 from skipped s where s.kind = w.kind and s.requirements = w.requirements)
  and exists (
    select 1 from cap c
    where c.capabilities @> jsonb_build_array(w.kind)
      and (w.requirements ->> 'gpu_type' is null or w.requirements ->> 'gpu_type' = c.gpu_type)
      and coalesce(c.task_requires -> w.kind ->> 'gpu_type', c.gpu_type) = c.gpu_type
      and c.free_vram >= greatest(coalesce((w.requirements ->> 'min_vram_gb')::float8, 0), coalesce((c.task_requires -> w.kind ->> 'min_vram_gb')::float8, 0))
      and c.free_cores >= greatest(coalesce((w.requirements ->> 'min_cores')::float8, 0), coalesce((c.task_requires -> w.kind ->> 'min_cores')::float8, 0))
      and c.free_memory >= greatest(coalesce((w.requirements ->> 'min_memory_gb')::float8, 0), coalesce((c.task_requires -> w.kind ->> 'min_memory_gb')::float8, 0))
  )
order by priority desc, submit_order
limit 1`;

/** Queued jobs past their max wait end `expired`; returns the ids. */
export const expireStatement = sql`
update work set state = 'expired', reason = 'waited in the queue past its max_wait_seconds', finished_at = now(), updated_at = now()
where state = 'queued' and queue_expires_at < now()
returning work_id`;

/**
 * Cancels a job that has not ended: queued or active → cancelled (releasing
 * what it held). Returns its agent (null if it never left the queue) and
 * the state it was in; no row when it had already ended or does not exist.
 */
export const cancelStatement = (workId: string): SQL => sql`
with before as (select work_id, agent_id, state from work where work_id = ${workId} and state in ('queued', ${activeList}) for update),
done as (
  update work w set state = 'cancelled', reason = 'cancelled by request', finished_at = now(), updated_at = now()
  from before b where w.work_id = b.work_id
  returning w.work_id
)
select b.agent_id, b.state as previous from before b join done d on d.work_id = b.work_id`;

export const CancelRow = Schema.Struct({ agent_id: Schema.NullOr(Schema.String), previous: Schema.String });

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
 * allocation is released. A result for work the orchestrator already ended
 * (lost, timed_out, cancelled, expired) does not change its final state: it
 * is kept beside it as `late_result`, except the agent's own `cancelled` for
 * a cancelled job, which is the result (with the output so far). Answers
 * what the row was before, so the caller can tell a duplicate or a result
 * from the wrong agent from an applied one.
 */
export const resultStatement = (result: WorkResult): SQL => sql`
with before as (
  select work_id, agent_id, state, result is not null as has_result from work where work_id = ${result.work_id} for update
),
updated as (
  update work w set state = ${result.status}::text, result = ${JSON.stringify(result)}::text::jsonb,
    reason = case when b.state = 'cancelled' then w.reason else null end, finished_at = coalesce(w.finished_at, now()), updated_at = now(),
    started_at = coalesce(w.started_at, ${result.started_at}::timestamptz)
  from before b
  where w.work_id = b.work_id and b.agent_id = ${result.agent_id}
    and (b.state in (${activeList}) or (b.state = 'cancelled' and ${result.status}::text = 'cancelled' and not b.has_result))
  returning w.work_id
),
late as (
  update work w set late_result = ${JSON.stringify(result)}::text::jsonb, updated_at = now()
  from before b
  where w.work_id = b.work_id and b.agent_id = ${result.agent_id} and b.state in (${givenUpList})
    and not (b.state = 'cancelled' and ${result.status}::text = 'cancelled' and not b.has_result)
    and w.late_result is null
  returning w.work_id
)
select (select agent_id from before) as agent_id, (select state from before) as previous,
  (select count(*)::int from updated) as updated, (select count(*)::int from late) as late`;

export const ResultRow = Schema.Struct({
  agent_id: Schema.NullOr(Schema.String),
  previous: Schema.NullOr(WorkState),
  updated: Schema.Finite,
  late: Schema.Finite
});

/** Times as `2025-01-31T12:00:00.123Z`, or null. */
const iso = (column: string) =>
  `case when ${column} is null then null else to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end as ${column}`;

/** The columns WorkRow decodes, for selects and for `returning`. */
const WORK_COLUMNS = `work_id, kind, params, requirements, timeout_seconds, agent_id, gpu_index,
  allocation, state, priority, submit_order::float8 as submit_order, result, late_result, reason, ${iso("created_at")}, ${iso("dispatched_at")}, ${iso("started_at")},
  ${iso("finished_at")}, ${iso("updated_at")}, ${iso("queue_expires_at")}`;

export const workSelect = sql.raw(`select ${WORK_COLUMNS} from work`);

/** The same columns with the result's `output` left out (it can be 1 MiB per job): for listings. */
export const workSummarySelect = sql.raw(
  `select ${WORK_COLUMNS.replace(/\bresult\b/, "(result - 'output') as result").replace(/\blate_result\b/, "(late_result - 'output') as late_result")} from work`
);

const Allocation = Schema.Struct({ vram_gb: Schema.Finite, cores: Schema.Finite, memory_gb: Schema.Finite });

export const WorkRow = Schema.Struct({
  work_id: Schema.String,
  kind: Schema.String,
  params: Schema.Record(Schema.String, Schema.String),
  requirements: Schema.Record(Schema.String, Schema.Unknown),
  timeout_seconds: Schema.Finite,
  /** Null while the job waits in the queue. */
  agent_id: Schema.NullOr(Schema.String),
  gpu_index: Schema.NullOr(Schema.Finite),
  allocation: Allocation,
  state: WorkState,
  priority: Schema.Finite,
  /** Submission order, for the queue (jobs submitted in the same clock tick still have one). */
  submit_order: Schema.Finite,
  result: Schema.NullOr(WorkResult),
  /** A result that came after the job had ended (lost, timed_out, cancelled, expired); the state stays. */
  late_result: Schema.NullOr(WorkResult),
  reason: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  dispatched_at: Schema.NullOr(Schema.String),
  started_at: Schema.NullOr(Schema.String),
  finished_at: Schema.NullOr(Schema.String),
  updated_at: Schema.String,
  queue_expires_at: Schema.NullOr(Schema.String)
});
export type WorkRecord = typeof WorkRow.Type;

const { output: _output, ...summaryFields } = WorkResult.fields;
/** A work_result without its `output`. */
export const WorkResultSummary = Schema.Struct(summaryFields);

/** A work row as listed: its result without `output`. */
export const WorkSummaryRow = Schema.Struct({
  ...WorkRow.fields,
  result: Schema.NullOr(WorkResultSummary),
  late_result: Schema.NullOr(WorkResultSummary)
});
export type WorkSummary = typeof WorkSummaryRow.Type;
