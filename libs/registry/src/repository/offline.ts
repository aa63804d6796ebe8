import { type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { transitionJson, TransitionRow } from "./rows.ts";
import { activeList } from "./work.ts";

/**
 * Marks the agents offline that are still online, and records each change,
 * in one statement. Rows are locked in agent_id order, as applyHeartbeats
 * does, so the two cannot deadlock; a row another transaction changed
 * meanwhile is re-checked as it is now (already offline: no change).
 * Work still active on an agent that goes offline becomes `lost` in the same
 * statement (SPEC §5: never left running forever). With `silentForSeconds`
 * only agents whose last heartbeat is older than that, by the database clock
 * at this statement, are marked; with `bootId` only an agent whose registered
 * boot is that one.
 */
export const markOfflineStatement = (
  agentIds: ReadonlyArray<string>,
  reason: string,
  silentForSeconds?: number,
  bootId?: string
): SQL => {
  // The sweep's list was read a moment ago: an agent that heartbeated since
  // is no longer silent, and the condition is checked again on the locked row.
  // A shutdown names the boot that is stopping: only that boot goes offline.
  const silent = sql.join(
    [
      silentForSeconds === undefined ? sql`` : sql`and r.last_heartbeat_at < now() - make_interval(secs => ${silentForSeconds}::float8)`,
      bootId === undefined ? sql`` : sql`and r.boot_id = ${bootId}::text`
    ],
    sql` `
  );
  return sql`
with ids as (
  select jsonb_array_elements_text(${JSON.stringify(agentIds)}::text::jsonb) as agent_id
),
locked as (
  select r.agent_id from agent_registry r
  where r.agent_id in (select agent_id from ids) and r.status = 'online' ${silent}
  order by r.agent_id
  for update
),
changed as (
  update agent_registry r set status = 'offline', offline_reason = ${reason}::text, updated_at = now()
  from locked l
  where r.agent_id = l.agent_id and r.status = 'online' ${silent}
  returning r.agent_id
),
transitions as (
  insert into agent_status_transitions (agent_id, from_status, to_status, reason)
  select agent_id, 'online', 'offline', ${reason}::text from changed
  order by agent_id
  returning agent_id, from_status, to_status, at, reason
),
lost as (
  update work w set state = 'lost', reason = 'agent ' || w.agent_id || ' went offline: ' || ${reason}::text,
    finished_at = now(), updated_at = now()
  from changed c
  where w.agent_id = c.agent_id and w.state in (${activeList})
  returning w.agent_id, w.work_id
)
select coalesce(
  (select json_agg(json_build_object(
      'transition', ${transitionJson("t")},
      'lost_work', coalesce((select json_agg(l.work_id order by l.work_id) from lost l where l.agent_id = t.agent_id), '[]'::json)
    ) order by t.agent_id) from transitions t),
  '[]'::json) as result`;
};

export const MarkOfflineRow = Schema.Struct({
  result: Schema.Array(Schema.Struct({ transition: TransitionRow, lost_work: Schema.Array(Schema.String) }))
});
