import { existsSync } from "node:fs";
import { Effect, Schema, type Scope } from "effect";
import { metricSum, parseMetrics, serviceUrls } from "@homelab/testing";
import path from "node:path";
import { eventually, freePort, repoRoot, spawnScoped, type Child } from "./childProcess.ts";

export interface OrchestratorOptions {
  readonly databaseUrl: string;
  readonly replyQueue: string;
  readonly heartbeatTimeoutSeconds: number;
  readonly sweepIntervalSeconds: number;
  /** The broker; the shared one (serviceUrls) when absent. */
  readonly amqpUrl?: string;
  /** A fixed HTTP port (to restart on the same address); a free one when absent. */
  readonly port?: number;
  /** More environment (WORK_RESULT_GRACE_SECONDS, API_TOKEN, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Wait only for /healthz (the process serves), not for /readyz (its services are there): a start with the database away. */
  readonly untilServing?: boolean;
}

export interface RunningOrchestrator {
  readonly child: Child;
  readonly baseUrl: string;
  /** Date.now() when /readyz first answered 200. */
  readonly readyAt: number;
  /** GET a path of its HTTP API: status and parsed JSON (or text for non-JSON answers). */
  readonly get: (path: string) => Promise<{ readonly status: number; readonly body: unknown }>;
  readonly getText: (path: string) => Promise<string>;
  /** POST a JSON body: status and parsed JSON answer. */
  readonly post: (path: string, body: unknown) => Promise<{ readonly status: number; readonly body: unknown }>;
}

/**
 * The real orchestrator process (`nx run orchestrator:serve`: the bundle
 * dist/apps/orchestrator/main.mjs, built by this project's test dependency,
 * run from the repository root) on a free port, waited for until
 * `/readyz` answers 200. The scope stops it (SIGTERM, SIGKILL if it hangs).
 */
export const startOrchestrator = (options: OrchestratorOptions): Effect.Effect<RunningOrchestrator, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const port = options.port ?? (yield* Effect.promise(freePort));
    if (!existsSync(path.join(repoRoot, "dist/apps/orchestrator/main.mjs"))) {
      return yield* Effect.die(new Error("dist/apps/orchestrator/main.mjs is missing: run npx nx run orchestrator:build first"));
    }
    const child = yield* spawnScoped("orchestrator", [process.execPath, "dist/apps/orchestrator/main.mjs"], {
      AMQP_URL: options.amqpUrl ?? serviceUrls().amqpUrl,
      DATABASE_URL: options.databaseUrl,
      REPLY_QUEUE: options.replyQueue,
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: String(port),
      HEARTBEAT_TIMEOUT_SECONDS: String(options.heartbeatTimeoutSeconds),
      OFFLINE_SWEEP_INTERVAL_SECONDS: String(options.sweepIntervalSeconds),
      LOG_LEVEL: "warn",
      ...options.env
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    const get = async (path: string) => {
      const response = await fetch(`${baseUrl}${path}`);
      const text = await response.text();
      if (!(response.headers.get("content-type") ?? "").includes("json")) return { status: response.status, body: text };
      const body: unknown = JSON.parse(text);
      return { status: response.status, body };
    };
    const getText = async (path: string) => (await fetch(`${baseUrl}${path}`)).text();
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    yield* Effect.tryPromise({
      try: () =>
        eventually(
          `orchestrator GET ${options.untilServing === true ? "/healthz" : "/readyz"} 200`,
          async () => {
            if (!child.running()) throw new Error(`orchestrator exited early: ${JSON.stringify(await child.exited)}\n${child.stderr()}`);
            return (await get(options.untilServing === true ? "/healthz" : "/readyz")).status;
          },
          (status) => status === 200,
          20_000,
          100
        ),
      catch: (e) => new Error(`${e instanceof Error ? e.message : String(e)}\nstderr:\n${child.stderr()}`)
    });
    return { child, baseUrl, readyAt: Date.now(), get, getText, post };
  });

/** The fields of an agent record (GET /agents, /agents/:id) that these tests read. */
export const AgentView = Schema.Struct({
  agent_id: Schema.String,
  agent_type: Schema.String,
  pool_name: Schema.String,
  status: Schema.Literals(["online", "offline"]),
  reported_status: Schema.String,
  capabilities: Schema.Array(Schema.String),
  resource_metrics: Schema.Record(Schema.String, Schema.Unknown),
  last_heartbeat_at: Schema.String,
  boot_id: Schema.String,
  last_seq: Schema.Number,
  registered_at: Schema.String,
  updated_at: Schema.String,
  /** Only on GET /agents/:id. */
  gpu_inventory: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown)))
});
export type AgentView = typeof AgentView.Type;

const decodeAgent = Schema.decodeUnknownSync(AgentView);
const decodeAgents = Schema.decodeUnknownSync(Schema.Array(AgentView));

/** GET /agents/:id: the record, or undefined on 404. */
export const getAgent = async (orchestrator: RunningOrchestrator, agentId: string): Promise<AgentView | undefined> => {
  const { status, body } = await orchestrator.get(`/agents/${encodeURIComponent(agentId)}`);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`GET /agents/${agentId}: ${status} ${JSON.stringify(body)}`);
  return decodeAgent(body);
};

/** Waits until GET /agents/:id shows the agent and `done` holds for it; fails saying what it saw last. */
export const agentMatching = (orchestrator: RunningOrchestrator, agentId: string, what: string, done: (a: AgentView) => boolean, timeoutMs: number) =>
  eventually(`agent ${agentId} ${what}`, () => getAgent(orchestrator, agentId), (a): a is AgentView => a !== undefined && done(a), timeoutMs);

/** Waits until the agent has this liveness status. */
export const agentStatus = (orchestrator: RunningOrchestrator, agentId: string, status: AgentView["status"], timeoutMs: number) =>
  agentMatching(orchestrator, agentId, status, (a) => a.status === status, timeoutMs);

/** GET /agents: every registered agent. */
export const listAgents = async (orchestrator: RunningOrchestrator): Promise<ReadonlyArray<AgentView>> => {
  const { status, body } = await orchestrator.get("/agents");
  if (status !== 200) throw new Error(`GET /agents: ${status} ${JSON.stringify(body)}`);
  return decodeAgents(body);
};

const CapacityView = Schema.Struct({
  agents: Schema.Array(Schema.Struct({ agent_id: Schema.String })),
  totals: Schema.Struct({ agents: Schema.Number })
});

/** The agent ids GET /capacity answers (online agents only, SPEC §5). */
export const capacityAgentIds = async (orchestrator: RunningOrchestrator): Promise<ReadonlyArray<string>> => {
  const { status, body } = await orchestrator.get("/capacity");
  if (status !== 200) throw new Error(`GET /capacity: ${status} ${JSON.stringify(body)}`);
  const answer = Schema.decodeUnknownSync(CapacityView)(body);
  return answer.agents.map((a) => a.agent_id);
};

/** A metric's value in a `/metrics` answer (summed over its label sets); NaN when it is absent. */
export const metricValue = (text: string, name: string): number => metricSum(parseMetrics(text), name);
