import { Effect, Schema, type Scope } from "effect";
import postgres from "postgres";

/** An agent_registry row as the tests read it (times as epoch milliseconds, by the database). */
const AgentRow = Schema.Struct({
  agent_id: Schema.String,
  status: Schema.String,
  boot_id: Schema.String,
  last_seq: Schema.Number,
  capabilities: Schema.Array(Schema.String),
  resource_metrics: Schema.Record(Schema.String, Schema.Unknown),
  last_heartbeat_ms: Schema.Number,
  /** now() - last_heartbeat_at, in seconds, by the database clock. */
  heartbeat_age_seconds: Schema.Number
});
export type AgentRow = typeof AgentRow.Type;

const TransitionRow = Schema.Struct({
  from_status: Schema.NullOr(Schema.String),
  to_status: Schema.String,
  reason: Schema.String
});
export type TransitionRow = typeof TransitionRow.Type;

export interface RegistryDb {
  readonly agent: (agentId: string) => Promise<AgentRow | undefined>;
  /** agent_id -> last_seq for the given agents that are registered. */
  readonly lastSeqs: (agentIds: ReadonlyArray<string>) => Promise<ReadonlyMap<string, number>>;
  /** Moves the agent's last_heartbeat_at `seconds` into the past, as if that much time had gone by. */
  readonly backdateHeartbeat: (agentId: string, seconds: number) => Promise<void>;
  /** The agent's liveness changes, oldest first. */
  readonly transitions: (agentId: string) => Promise<ReadonlyArray<TransitionRow>>;
  /** The same with when each happened (epoch ms, database clock). */
  readonly timedTransitions: (agentId: string) => Promise<ReadonlyArray<TransitionRow & { readonly at_ms: number }>>;
}

const decodeAgents = Schema.decodeUnknownSync(Schema.Array(AgentRow));
const decodeTransitions = Schema.decodeUnknownSync(Schema.Array(TransitionRow));
const decodeTimedTransitions = Schema.decodeUnknownSync(Schema.Array(Schema.Struct({ ...TransitionRow.fields, at_ms: Schema.Number })));

/**
 * Reads the orchestrator's registry straight from its PostgreSQL database (the
 * suite's own, from testDatabase): what the process committed, not what it
 * says. One connection, ended with the scope.
 */
export const registryDb = (url: string): Effect.Effect<RegistryDb, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => postgres(url, { max: 1, onnotice: () => undefined })),
    (sql) => Effect.promise(() => sql.end({ timeout: 5 }))
  ).pipe(
    Effect.map((sql): RegistryDb => {
      const agents = async (ids: ReadonlyArray<string>) =>
        decodeAgents(
          await sql`
            select agent_id, status, boot_id, last_seq::float8 as last_seq, capabilities, resource_metrics,
              (extract(epoch from last_heartbeat_at) * 1000)::float8 as last_heartbeat_ms,
              extract(epoch from now() - last_heartbeat_at)::float8 as heartbeat_age_seconds
            from agent_registry where agent_id in ${sql([...ids])}`
        );
      return {
        agent: async (agentId) => (await agents([agentId]))[0],
        backdateHeartbeat: async (agentId, seconds) => {
          await sql`update agent_registry set last_heartbeat_at = last_heartbeat_at - make_interval(secs => ${seconds}) where agent_id = ${agentId}`;
        },
        lastSeqs: async (agentIds) => new Map((await agents(agentIds)).map((a) => [a.agent_id, a.last_seq])),
        timedTransitions: async (agentId) =>
          decodeTimedTransitions(
            await sql`
              select from_status, to_status, reason, (extract(epoch from at) * 1000)::float8 as at_ms
              from agent_status_transitions where agent_id = ${agentId} order by id`
          ),
        transitions: async (agentId) =>
          decodeTransitions(
            await sql`select from_status, to_status, reason from agent_status_transitions where agent_id = ${agentId} order by id`
          )
      };
    })
  );
