import { type SQL, sql } from "drizzle-orm";
import { Schema } from "effect";
import { GpuMetrics } from "@homelab/protocol";

/** An agent's per-minute samples in [since, until), oldest first. */
export const historyStatement = (agentId: string, since: string, until: string): SQL => sql`
select to_char(minute at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
  cpu_load_1min, cpu_cores_total, memory_total_gb, memory_available_gb, gpus
from agent_history
where agent_id = ${agentId} and minute >= ${since}::timestamptz and minute < ${until}::timestamptz
order by minute`;

export const HistoryRow = Schema.Struct({
  at: Schema.String,
  cpu_load_1min: Schema.Finite,
  cpu_cores_total: Schema.Finite,
  memory_total_gb: Schema.Finite,
  memory_available_gb: Schema.Finite,
  gpus: Schema.Array(GpuMetrics)
});

/** Deletes samples older than the retention (the minute index makes it a range scan); answers how many. */
export const pruneHistoryStatement = (retentionDays: number): SQL => sql`
with gone as (
  delete from agent_history where minute < now() - make_interval(days => ${retentionDays}::int) returning 1
)
select count(*)::int as count from gone`;
