import { sql } from "drizzle-orm";
import { Effect, Layer, Schema } from "effect";
import { decodeRows, rowsOf } from "../drivers/shared.ts";
import { isoUtc } from "../repository/rows.ts";
import { SHUTDOWN_REASON } from "../repository/heartbeats.ts";
import {
  type AlertOp,
  type AlertPolicy,
  AlertRegistry,
  type AlertRegistryShape,
  type DeliveryOutcome,
  type MessageBody
} from "../Services/AlertRegistry.ts";
import { RegistryDatabase } from "../Services/RegistryDatabase.ts";

// Rows as the statements below shape them (ids as float8: exact to 2^53, and
// a number from both drivers, where a bigint would come back as text).
const Liveness = Schema.Literals(["online", "offline"]);
const AlertState = Schema.Literals(["open", "closed", "asleep", "superseded"]);
const AlertRow = Schema.Struct({
  alert_id: Schema.Finite,
  agent_id: Schema.String,
  kind: Schema.String,
  subject: Schema.String,
  state: AlertState,
  opened_at: Schema.String,
  closed_at: Schema.NullOr(Schema.String),
  summary: Schema.String,
  detail: Schema.String
});
const TransitionRow = Schema.Struct({
  id: Schema.Finite,
  agent_id: Schema.String,
  from: Schema.NullOr(Liveness),
  to: Liveness,
  reason: Schema.String,
  at: Schema.String
});
const FactsRow = Schema.Struct({
  status: Liveness,
  offline_reason: Schema.NullOr(Schema.String),
  last_heartbeat_at: Schema.String,
  best_gpu_vram_gb: Schema.NullOr(Schema.Finite),
  gpu_count: Schema.Finite
});
const ReviewRow = Schema.Struct({
  alert: AlertRow,
  facts: Schema.NullOr(FactsRow),
  last_transition_at: Schema.NullOr(Schema.String)
});
const Body = Schema.Record(Schema.String, Schema.Unknown);
const EventRow = Schema.Struct({
  id: Schema.Finite,
  kind: Schema.String,
  agent_id: Schema.NullOr(Schema.String),
  subject: Schema.String,
  data: Body,
  at: Schema.String
});
const WaitingRow = Schema.Struct({ work_id: Schema.String, kind: Schema.String, created_at: Schema.String, waiting_reason: Schema.NullOr(Schema.String) });
const LeftRow = Schema.Struct({ alert: AlertRow, state: Schema.String, agent_id: Schema.NullOr(Schema.String) });
const GpuRef = Schema.Struct({ id: Schema.String, name: Schema.String });
const GpuCheckRow = Schema.Struct({
  agent_id: Schema.String,
  boot_id: Schema.String,
  gpus: Schema.Array(GpuRef),
  gpu_error: Schema.NullOr(Schema.String),
  seen_boot_id: Schema.NullOr(Schema.String),
  seen: Schema.Array(GpuRef),
  errors_since: Schema.NullOr(Schema.String),
  alerts: Schema.Array(AlertRow)
});
const ClaimRow = Schema.Struct({
  message_id: Schema.Finite,
  channel: Schema.String,
  attempts: Schema.Finite,
  created_at: Schema.String,
  body: Body
});
const DeliveryRow = Schema.Struct({
  message_id: Schema.Finite,
  event: Schema.String,
  channel: Schema.String,
  state: Schema.Literals(["pending", "sent", "failed"]),
  attempts: Schema.Finite,
  last_status: Schema.NullOr(Schema.String),
  last_detail: Schema.NullOr(Schema.String),
  sent_at: Schema.NullOr(Schema.String)
});
const ListingRow = Schema.Struct({ ...AlertRow.fields, deliveries: Schema.Array(DeliveryRow) });

const alertColumns = (a: string) =>
  sql.raw(`${a}.alert_id::float8 as alert_id, ${a}.agent_id, ${a}.kind, ${a}.subject, ${a}.state,
    to_char(${a}.opened_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as opened_at,
    to_char(${a}.closed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as closed_at,
    ${a}.summary, ${a}.detail`);

const alertJson = (a: string) =>
  sql.raw(`json_build_object('alert_id', ${a}.alert_id::float8, 'agent_id', ${a}.agent_id, 'kind', ${a}.kind, 'subject', ${a}.subject, 'state', ${a}.state,
    'opened_at', to_char(${a}.opened_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'closed_at', to_char(${a}.closed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'summary', ${a}.summary, 'detail', ${a}.detail)`);

const factsJson = (r: string) =>
  sql.raw(`case when ${r}.agent_id is null then null else json_build_object('status', ${r}.status, 'offline_reason', ${r}.offline_reason,
    'last_heartbeat_at', to_char(${r}.last_heartbeat_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'best_gpu_vram_gb', ${r}.best_gpu_vram_gb,
    'gpu_count', coalesce(jsonb_array_length(${r}.resource_metrics -> 'gpus'), 0)) end`);

const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, rows: ReadonlyArray<unknown>) =>
  Schema.decodeUnknownSync(Schema.Array(schema))(rows);

type Tx = { execute: (query: ReturnType<typeof sql>) => Promise<unknown> };

/** One op, inside a transaction: how many messages it put in the outbox (0 or 1), and the alert it opened or changed. */
const applyOne = async (tx: Tx, op: AlertOp): Promise<{ readonly messages: number; readonly alertId: number | undefined }> => {
  let alertId: number | undefined;
  let event: string;
  if (op.op === "open") {
    // The partial unique index keeps one open alert per agent and kind: a second is not written.
    const rows = rowsOf(
      await tx.execute(sql`
insert into alerts (agent_id, kind, subject, state, opened_at, summary, detail)
values (${op.agent_id}, ${op.kind}, ${op.subject ?? ""}, ${op.state}, ${op.at}::timestamptz, ${op.summary}, ${op.detail})
on conflict (agent_id, kind, subject) where state = 'open' do nothing
returning alert_id::float8 as alert_id`)
    ) as ReadonlyArray<{ alert_id: number }>;
    alertId = rows[0]?.alert_id;
    event = "opened";
  } else if (op.op === "notify") {
    // Once per agent, kind and subject (a job fails once).
    const rows = rowsOf(
      await tx.execute(sql`
insert into alerts (agent_id, kind, subject, state, opened_at, closed_at, summary, detail)
select ${op.agent_id}, ${op.kind}, ${op.subject}, 'closed', ${op.at}::timestamptz, ${op.at}::timestamptz, ${op.summary}, ${op.detail}
where not exists (select 1 from alerts a where a.kind = ${op.kind} and a.subject = ${op.subject} and a.agent_id = ${op.agent_id})
returning alert_id::float8 as alert_id`)
    ) as ReadonlyArray<{ alert_id: number }>;
    alertId = rows[0]?.alert_id;
    event = "opened";
  } else if (op.op === "close") {
    const rows = rowsOf(
      await tx.execute(sql`
update alerts set state = ${op.state}, closed_at = ${op.at}::timestamptz
where alert_id = ${op.alert_id} and state in ('open', 'asleep')
returning alert_id::float8 as alert_id`)
    ) as ReadonlyArray<{ alert_id: number }>;
    alertId = rows[0]?.alert_id;
    event = "resolved";
  } else {
    const rows = rowsOf(
      await tx.execute(sql`
update alerts a set state = 'open'
where a.alert_id = ${op.alert_id} and a.state = 'asleep'
  and not exists (select 1 from alerts o where o.agent_id = a.agent_id and o.kind = a.kind and o.state = 'open')
returning a.alert_id::float8 as alert_id`)
    ) as ReadonlyArray<{ alert_id: number }>;
    alertId = rows[0]?.alert_id;
    event = "opened";
  }
  if (alertId === undefined || op.message === null || op.channels.length === 0) return { messages: 0, alertId };
  const body: MessageBody = { ...op.message, alert_id: alertId };
  const inserted = rowsOf(
    await tx.execute(sql`
insert into alert_messages (alert_id, event, body) values (${alertId}, ${event}, ${JSON.stringify(body)}::jsonb)
returning message_id::float8 as message_id`)
  ) as ReadonlyArray<{ message_id: number }>;
  const messageId = inserted[0]?.message_id;
  if (messageId === undefined) return { messages: 0, alertId };
  // Due at once whatever the clock of the orchestrator that claims it.
  await tx.execute(sql`
insert into alert_deliveries (message_id, channel, next_attempt_at)
select ${messageId}, c, '-infinity'::timestamptz from jsonb_array_elements_text(${JSON.stringify(op.channels)}::jsonb) as c`);
  return { messages: 1, alertId };
};

const applyOp = async (tx: Tx, op: AlertOp): Promise<number> => (await applyOne(tx, op)).messages;

/** The GPU check: online agents' GPUs against what their boot reported before; the policy decides, the memory is kept. */
const checkGpus = async (tx: Tx, policy: AlertPolicy, now: string): Promise<number> => {
  const checks = decode(
    GpuCheckRow,
    rowsOf(
      await tx.execute(sql`
select r.agent_id, r.boot_id,
  coalesce((select json_agg(json_build_object('id', coalesce(g ->> 'uuid', (g ->> 'name') || ' #' || (g ->> 'index')), 'name', g ->> 'name'))
    from jsonb_array_elements(coalesce(r.resource_metrics -> 'gpus', '[]'::jsonb)) g), '[]'::json) as gpus,
  (select e ->> 'message' from jsonb_array_elements(coalesce(r.resource_metrics -> 'collection_errors', '[]'::jsonb)) e
    where e ->> 'source' like 'gpu%' limit 1) as gpu_error,
  s.boot_id as seen_boot_id, coalesce(s.uuids::json, '[]'::json) as seen,
  ${isoUtc(sql`s.errors_since`)} as errors_since,
  coalesce((select json_agg(${alertJson("a")} order by a.alert_id) from alerts a
    where a.agent_id = r.agent_id and a.state = 'open' and a.kind in ('gpu_missing', 'gpu_collection')), '[]'::json) as alerts
from agent_registry r left join alert_gpus s on s.agent_id = r.agent_id
where r.status = 'online'
order by r.agent_id`)
    )
  );
  if (checks.length === 0) return 0;
  const { ops, memory } = policy.reviewGpus(checks, now);
  let messages = 0;
  for (const op of ops) messages += await applyOp(tx, op);
  if (memory.length > 0) {
    await tx.execute(sql`
insert into alert_gpus (agent_id, boot_id, uuids, errors_since)
select m.agent_id, m.boot_id, m.seen, m.errors_since
from jsonb_to_recordset(${JSON.stringify(memory)}::jsonb) as m(agent_id text, boot_id text, seen jsonb, errors_since timestamptz)
on conflict (agent_id) do update set boot_id = excluded.boot_id, uuids = excluded.uuids, errors_since = excluded.errors_since`);
  }
  return messages;
};

export const makeAlertRegistry = Effect.gen(function* () {
  const { use } = yield* RegistryDatabase;

  const evaluate: AlertRegistryShape["evaluate"] = (policy: AlertPolicy, options) =>
    use("evaluateAlerts", (db) =>
      db.transaction(async (tx) => {
        const cursor = rowsOf(
          await tx.execute(
            sql`select last_transition_id::float8 as last, last_event_id::float8 as last_event from alert_cursor where id = 1 for update skip locked`
          )
        ) as ReadonlyArray<{ last: number; last_event: number }>;
        const last = cursor[0]?.last;
        const limit = options?.limit ?? 200;
        if (last === undefined) return { evaluated: false, transitions: 0, messages: 0 };
        const transitions = decode(
          TransitionRow,
          rowsOf(
            await tx.execute(sql`
select id::float8 as id, agent_id, from_status as "from", to_status as "to", reason, ${isoUtc(sql`at`)} as at
from agent_status_transitions where id > ${last} order by id limit ${limit}`)
          )
        );
        let messages = 0;
        for (const transition of transitions) {
          const alerts = decode(
            AlertRow,
            rowsOf(
              await tx.execute(
                sql`select ${alertColumns("a")} from alerts a where a.agent_id = ${transition.agent_id} and a.state in ('open', 'asleep') order by a.alert_id`
              )
            )
          );
          // An unreachable episode's two ends: offline by the timeout, and back from such an offline.
          const flipRows = rowsOf(
            await tx.execute(sql`
select count(*)::int as flips from agent_status_transitions t
where t.agent_id = ${transition.agent_id} and t.id <= ${transition.id} and t.from_status is not null
  and t.at > ${transition.at}::timestamptz - make_interval(secs => ${policy.flapWindowSeconds}::float8)
  and ((t.to_status = 'offline' and t.reason <> ${SHUTDOWN_REASON})
    or (t.to_status = 'online' and coalesce((select p.reason from agent_status_transitions p
          where p.agent_id = t.agent_id and p.id < t.id order by p.id desc limit 1), '') <> ${SHUTDOWN_REASON}))`)
          ) as ReadonlyArray<{ flips: number }>;
          const facts = decode(
            FactsRow,
            rowsOf(
              await tx.execute(sql`
select status, offline_reason, ${isoUtc(sql`last_heartbeat_at`)} as last_heartbeat_at, best_gpu_vram_gb,
  coalesce(jsonb_array_length(resource_metrics -> 'gpus'), 0) as gpu_count
from agent_registry where agent_id = ${transition.agent_id}`)
            )
          );
          const ops = policy.decide({ transition, alerts, flips: flipRows[0]?.flips ?? 0, facts: facts[0] ?? null });
          for (const op of ops) messages += await applyOp(tx, op);
        }
        const lastSeen = transitions.at(-1)?.id;
        if (lastSeen !== undefined) await tx.execute(sql`update alert_cursor set last_transition_id = ${lastSeen} where id = 1`);
        // Events the triggers wrote (jobs that ended badly), in order.
        const events = decode(
          EventRow,
          rowsOf(
            await tx.execute(sql`
select id::float8 as id, kind, agent_id, subject, data, ${isoUtc(sql`at`)} as at
from alert_events where id > ${cursor[0]?.last_event ?? 0} order by id limit ${limit}`)
          )
        );
        for (const event of events) for (const op of policy.decideEvent(event)) messages += await applyOp(tx, op);
        const lastEvent = events.at(-1)?.id;
        if (lastEvent !== undefined) await tx.execute(sql`update alert_cursor set last_event_id = ${lastEvent} where id = 1`);
        const now = (rowsOf(await tx.execute(sql`select ${isoUtc(sql`now()`)} as now`)) as ReadonlyArray<{ now: string }>)[0]?.now ?? "";
        // The queue: jobs waiting past the threshold, and those that left it since their alert.
        if (policy.queueWaitSeconds !== null) {
          const waiting = decode(
            WaitingRow,
            rowsOf(
              await tx.execute(sql`
select w.work_id, w.kind, ${isoUtc(sql`w.created_at`)} as created_at, w.reason as waiting_reason from work w
where w.state = 'queued' and w.created_at < now() - make_interval(secs => ${policy.queueWaitSeconds}::float8)
  and not exists (select 1 from alerts a where a.kind = 'work_waiting' and a.subject = w.work_id)
order by w.created_at limit 100`)
            )
          );
          const left = decode(
            LeftRow,
            rowsOf(
              await tx.execute(sql`
select ${alertJson("a")} as alert, w.state, w.agent_id from alerts a join work w on w.work_id = a.subject
where a.kind = 'work_waiting' and a.state = 'open' and w.state <> 'queued'`)
            )
          );
          if (waiting.length > 0 || left.length > 0) for (const op of policy.reviewQueue(waiting, left, now)) messages += await applyOp(tx, op);
        }
        if (options?.checkGpus === true) messages += await checkGpus(tx, policy, now);
        // As time passes: flapping that has calmed down, quiet windows that ended.
        const reviewRows = rowsOf(
          await tx.execute(sql`
select ${alertJson("a")} as alert, ${factsJson("r")} as facts,
  (select ${isoUtc(sql`max(t.at)`)} from agent_status_transitions t where t.agent_id = a.agent_id) as last_transition_at
from alerts a left join agent_registry r on r.agent_id = a.agent_id
where (a.state = 'open' and a.kind = 'flapping') or a.state = 'asleep'
order by a.alert_id`)
        );
        if (reviewRows.length > 0) for (const op of policy.review(decode(ReviewRow, reviewRows), now)) messages += await applyOp(tx, op);
        return { evaluated: true, transitions: transitions.length, messages };
      })
    );

  const claimDeliveries: AlertRegistryShape["claimDeliveries"] = (now, leaseUntil, limit) =>
    use("claimDeliveries", (db) =>
      db.execute(sql`
with due as (
  select d.message_id, d.channel from alert_deliveries d
  where d.state = 'pending' and d.next_attempt_at <= ${now}::timestamptz
  order by d.next_attempt_at, d.message_id, d.channel
  limit ${limit}
  for update skip locked
)
update alert_deliveries d set attempts = d.attempts + 1, next_attempt_at = ${leaseUntil}::timestamptz
from due, alert_messages m
where d.message_id = due.message_id and d.channel = due.channel and m.message_id = d.message_id
returning d.message_id::float8 as message_id, d.channel, d.attempts, ${isoUtc(sql`m.created_at`)} as created_at, m.body`)
    ).pipe(Effect.flatMap((rows) => decodeRows("claimDeliveries", ClaimRow)(rowsOf(rows))));

  const recordDelivery: AlertRegistryShape["recordDelivery"] = (messageId, channel, outcome: DeliveryOutcome, now) =>
    use("recordDelivery", (db) =>
      db.execute(sql`
update alert_deliveries set
  state = ${outcome._tag === "Sent" ? "sent" : outcome._tag === "Retry" ? "pending" : "failed"},
  last_status = ${outcome.status}, last_detail = ${outcome.detail},
  sent_at = ${outcome._tag === "Sent" ? now : null}::timestamptz,
  next_attempt_at = ${outcome._tag === "Retry" ? outcome.retryAt : now}::timestamptz
where message_id = ${messageId} and channel = ${channel}`)
    ).pipe(Effect.asVoid);

  const listAlerts: AlertRegistryShape["listAlerts"] = (limit) =>
    use("listAlerts", (db) =>
      db.execute(sql`
select ${alertColumns("a")},
  coalesce((select json_agg(json_build_object(
      'message_id', m.message_id::float8, 'event', m.event, 'channel', d.channel, 'state', d.state,
      'attempts', d.attempts, 'last_status', d.last_status, 'last_detail', d.last_detail,
      'sent_at', to_char(d.sent_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    order by m.message_id, d.channel)
    from alert_messages m join alert_deliveries d on d.message_id = m.message_id
    where m.alert_id = a.alert_id), '[]'::json) as deliveries
from alerts a order by a.alert_id desc limit ${limit}`)
    ).pipe(Effect.flatMap((rows) => decodeRows("listAlerts", ListingRow)(rowsOf(rows))));

  const apply: AlertRegistryShape["apply"] = (ops) =>
    use("applyAlerts", (db) =>
      db.transaction(async (tx) => {
        const alertIds: Array<number | null> = [];
        let messages = 0;
        for (const op of ops) {
          const done = await applyOne(tx, op);
          messages += done.messages;
          alertIds.push(done.alertId ?? null);
        }
        return { messages, alertIds };
      })
    );

  return { evaluate, apply, claimDeliveries, recordDelivery, listAlerts } satisfies AlertRegistryShape;
});

export const AlertRegistryLive: Layer.Layer<AlertRegistry, never, RegistryDatabase> = Layer.effect(AlertRegistry, makeAlertRegistry);
