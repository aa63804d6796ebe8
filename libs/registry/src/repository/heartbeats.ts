import { type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { poolNameOf, type StatusUpdate } from "@homelab/protocol";
import { transitionJson, TransitionRow } from "./rows.ts";

/** Whether `next`, of another boot than `kept`, replaces it: the later boot when both say when they started, else the later message. */
const laterBoot = (kept: StatusUpdate, next: StatusUpdate): boolean =>
  kept.boot_started_at === undefined || next.boot_started_at === undefined || next.boot_started_at > kept.boot_started_at;

/**
 * The heartbeat that counts for each agent in a batch: within one boot_id
 * the highest seq; across boot_ids the later boot (by `boot_started_at`
 * when both carry it), else the one that came later in the batch (a
 * restarted agent's first heartbeat carries seq 0). A GPU inventory rides
 * in one heartbeat only, so one the kept heartbeat of the same boot lacks is
 * carried over from the one it replaces.
 */
export const latestPerAgent = (batch: ReadonlyArray<StatusUpdate>): ReadonlyArray<StatusUpdate> => {
  const latest = new Map<string, StatusUpdate>();
  for (const heartbeat of batch) {
    const kept = latest.get(heartbeat.agent_id);
    const sameBoot = kept !== undefined && kept.boot_id === heartbeat.boot_id;
    if (kept === undefined || (sameBoot ? heartbeat.seq > kept.seq : laterBoot(kept, heartbeat))) {
      const inherited = sameBoot && heartbeat.gpu_inventory === undefined ? kept.gpu_inventory : undefined;
      latest.set(heartbeat.agent_id, inherited === undefined ? heartbeat : { ...heartbeat, gpu_inventory: inherited });
    } else if (sameBoot && kept.gpu_inventory === undefined && heartbeat.gpu_inventory !== undefined) {
      latest.set(heartbeat.agent_id, { ...kept, gpu_inventory: heartbeat.gpu_inventory });
    }
  }
  return [...latest.values()];
};

export const REGISTERED = "first heartbeat";
export const BACK_ONLINE = "heartbeat";
/**
 * The offline reason of an agent that announced its shutdown. Its boot has
 * ended: a heartbeat of that boot arriving afterwards (sent before the
 * shutdown, applied late by another orchestrator on the same queue) is stale.
 */
export const SHUTDOWN_REASON = "agent_shutdown";

/**
 * One statement for the whole batch, sent as a single JSON parameter. Its
 * text never changes, so it runs as a named prepared statement
 * (RegistryDatabase.executePrepared): parsed once per connection, planned
 * once, then one round trip per batch. A cached plan is chosen without the
 * batch in view (and, where autovacuum does not keep statistics, against the
 * table as it was), so every part is written to probe indexes per agent in
 * any plan, never to read the whole registry or a whole minute of history:
 *
 * 1. `previous` locks the rows of the agents already known, in agent_id
 *    order (two orchestrators locking overlapping batches cannot deadlock),
 *    and reads their liveness. Under READ COMMITTED a row another
 *    transaction just changed is read as that transaction left it.
 * 2. `upserted` inserts new agents and updates known ones only when the
 *    heartbeat is newer: another boot_id, or a higher seq of a boot that has
 *    not announced its shutdown (a stopped boot sends nothing after its
 *    `agent_shutdown`, so its own heartbeats that come later are stale). The sort above
 *    the join makes every `previous` lock come before the first write.
 *    `xmax = 0` marks a row this statement inserted.
 * 3. `history` (unless turned off) adds each applied heartbeat as its
 *    agent's sample for this minute when the minute has none yet: the first
 *    heartbeat of a minute is kept, later ones cost one index probe (taken
 *    before the figures are read out of the JSON: that work, done for every
 *    row and then thrown away by the conflict, was a fifth of PostgreSQL's
 *    CPU per heartbeat). The figures come back from `upserted`, not from a
 *    second join with the input.
 * 4. `transitions` records null -> online for inserted agents and
 *    offline -> online for those that were offline. An agent another
 *    orchestrator inserted concurrently is neither: it conflicted here, so
 *    it is an update, and `previous` did not see it, so no second row.
 *
 * Times are the database's now(): the agent's clock never matters.
 */
export const applyStatement = (heartbeats: ReadonlyArray<StatusUpdate>, silentBootSeconds: number, history = true): SQL => {
  const input = JSON.stringify(
    heartbeats.map((h) => ({
      agent_id: h.agent_id,
      agent_type: h.agent_type,
      pool_name: poolNameOf(h),
      reported_status: h.status,
      capabilities: h.capabilities,
      resource_metrics: h.resources,
      // The figures routing and capacity read as plain columns (schema.ts).
      best_gpu_vram_gb: h.resources.gpus.reduce((best, g) => Math.max(best, g.vram_available_gb), 0),
      cores_available: h.resources.cpu_cores_available,
      memory_available_gb: h.resources.memory_available_gb,
      gpu_type: h.resources.gpu_type,
      boot_id: h.boot_id,
      boot_started_at: h.boot_started_at ?? null,
      seq: h.seq,
      max_concurrent_work: h.max_concurrent_work ?? null,
      task_requires: h.task_requires ?? null,
      gpu_inventory: h.gpu_inventory ?? null
    }))
  );
  return sql`
with input as (
  select * from jsonb_to_recordset(${input}::text::jsonb) as x(
    agent_id text, agent_type text, pool_name text, reported_status text,
    capabilities jsonb, resource_metrics jsonb, best_gpu_vram_gb float8, cores_available float8,
    memory_available_gb float8, gpu_type text, boot_id text, boot_started_at timestamptz, seq bigint,
    max_concurrent_work int, task_requires jsonb, gpu_inventory jsonb)
),
previous as (
  select r.agent_id, r.status
  from agent_registry r
  -- = any(array): an index probe per agent in any plan. "in (select …)"
  -- let the cached generic plan (prepared statement) scan the whole table.
  where r.agent_id = any(array(select agent_id from input))
  order by r.agent_id
  for update
),
upserted as (
  insert into agent_registry as r (
    agent_id, agent_type, pool_name, status, reported_status, capabilities, resource_metrics,
    best_gpu_vram_gb, cores_available, memory_available_gb, gpu_type,
    last_heartbeat_at, boot_id, boot_started_at, last_seq, registered_at, updated_at, max_concurrent_work, task_requires,
    gpu_inventory)
  select i.agent_id, i.agent_type, i.pool_name, 'online', i.reported_status, i.capabilities, i.resource_metrics,
    i.best_gpu_vram_gb, i.cores_available, i.memory_available_gb, i.gpu_type,
    now(), i.boot_id, i.boot_started_at, i.seq, now(), now(), i.max_concurrent_work, i.task_requires,
    i.gpu_inventory
  from input i left join previous p on p.agent_id = i.agent_id
  order by i.agent_id
  on conflict (agent_id) do update set
    agent_type = excluded.agent_type,
    pool_name = excluded.pool_name,
    status = 'online',
    reported_status = excluded.reported_status,
    capabilities = excluded.capabilities,
    resource_metrics = excluded.resource_metrics,
    best_gpu_vram_gb = excluded.best_gpu_vram_gb,
    cores_available = excluded.cores_available,
    memory_available_gb = excluded.memory_available_gb,
    gpu_type = excluded.gpu_type,
    last_heartbeat_at = now(),
    boot_id = excluded.boot_id,
    boot_started_at = excluded.boot_started_at,
    last_seq = excluded.last_seq,
    max_concurrent_work = excluded.max_concurrent_work,
    offline_reason = null,
    task_requires = excluded.task_requires,
    -- Sent at start and every 10 minutes, not in every heartbeat: kept until
    -- the next one within a boot, dropped by a new boot that sends none.
    gpu_inventory = case
      when excluded.gpu_inventory is not null then excluded.gpu_inventory
      when r.boot_id = excluded.boot_id then r.gpu_inventory
    end,
    updated_at = now()
  where (r.boot_id = excluded.boot_id and excluded.last_seq > r.last_seq
      and not (r.status = 'offline' and r.offline_reason is not distinct from ${SHUTDOWN_REASON}::text))
    or (r.boot_id <> excluded.boot_id and (
      -- Boot order: an older boot's late heartbeat never overwrites a newer
      -- boot. Without both start times (older agents), today's rule: the
      -- other boot wins. A registered boot silent for longer than the
      -- heartbeat timeout (server clock) gives way whatever the agent's
      -- clock says, so an agent whose clock was stepped back is never locked out.
      excluded.boot_started_at is null or r.boot_started_at is null
      or excluded.boot_started_at > r.boot_started_at
      or r.last_heartbeat_at < now() - make_interval(secs => ${silentBootSeconds}::float8)))
  returning r.agent_id, (r.xmax = 0) as inserted${history ? sql`, r.resource_metrics, r.memory_available_gb` : sql``}
),${history ? historyInsert : sql``}
transitions as (
  insert into agent_status_transitions (agent_id, from_status, to_status, reason)
  select u.agent_id, case when u.inserted then null else p.status end, 'online',
    case when u.inserted then ${REGISTERED} else ${BACK_ONLINE} end
  from upserted u left join previous p on p.agent_id = u.agent_id
  where u.inserted or p.status = 'offline'
  order by u.agent_id
  returning agent_id, from_status, to_status, at, reason
)
select json_build_object(
  'applied', (select count(*) from upserted),
  'transitions', coalesce((select json_agg(${transitionJson("t")} order by t.agent_id) from transitions t), '[]'::json)
) as result`;
};

const historyInsert = sql`
history as (
  insert into agent_history as h (agent_id, minute, cpu_load_1min, cpu_cores_total, memory_total_gb, memory_available_gb, gpus)
  select u.agent_id, date_trunc('minute', now()), (u.resource_metrics ->> 'cpu_load_1min')::float8,
    (u.resource_metrics ->> 'cpu_cores_total')::float8, (u.resource_metrics ->> 'memory_total_gb')::float8,
    u.memory_available_gb, u.resource_metrics -> 'gpus'
  from upserted u
  -- Most heartbeats find their minute's sample already there: one probe of
  -- the primary key per heartbeat, before any figure is read out of the
  -- JSON. Written as a scalar subquery, not "not exists": the planner made
  -- that an anti join reading every sample of the minute (the whole fleet)
  -- for each batch. The conflict clause still settles a race with another
  -- orchestrator.
  where (select true from agent_history x where x.agent_id = u.agent_id and x.minute = date_trunc('minute', now())) is null
  order by u.agent_id
  on conflict (agent_id, minute) do nothing
),`;

export const ApplyRow = Schema.Struct({
  result: Schema.Struct({ applied: Schema.Finite, transitions: Schema.Array(TransitionRow) })
});
