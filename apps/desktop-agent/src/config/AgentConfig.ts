import { Effect, Result, Schema } from "effect";
import { defaultPoolName } from "@homelab/protocol";
import type { InvalidConfig } from "../InvalidConfig.ts";
import { AgentSettings, DEFAULT_AGENT_TYPE } from "./AgentSettings.ts";
import { configPathOf, invalid, readConfigFile } from "./configFile.ts";
import { describeLeaf, type FirstLeaf, firstLeaf, valueAt } from "./issueText.ts";
import { templateProblem } from "../work/template.ts";
import { formatPath, renderValue } from "./wording.ts";

export { AgentSettings, LOG_LEVELS, TaskKind, TaskRequirements } from "./AgentSettings.ts";

/** What loadAgentConfig reads; the process passes its own, tests pass their own. */
export interface AgentConfigInput {
  /** Command-line arguments; only `--config` is looked at. */
  readonly argv: ReadonlyArray<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default for agent_id. */
  readonly hostname: string;
  readonly readFile: (path: string) => Effect.Effect<string, unknown>;
}

type Field = keyof typeof AgentSettings.fields;
type EnvKind = "string" | "number" | "choice";

/** SPEC §3: the env vars that override file settings (tasks come only from the file). */
const ENV_OVERRIDES: ReadonlyArray<readonly [Field, string, EnvKind]> = [
  ["agent_id", "AGENT_ID", "string"],
  ["agent_type", "AGENT_TYPE", "string"],
  ["pool_name", "POOL_NAME", "string"],
  ["amqp_url", "AMQP_URL", "string"],
  ["reply_queue", "REPLY_QUEUE", "string"],
  ["log_level", "LOG_LEVEL", "choice"],
  ["heartbeat_interval_seconds", "HEARTBEAT_INTERVAL_SECONDS", "number"],
  ["gpu_backend", "GPU_BACKEND", "choice"],
  ["max_concurrent_work", "MAX_CONCURRENT_WORK", "number"],
  ["shutdown_grace_seconds", "SHUTDOWN_GRACE_SECONDS", "number"],
  ["max_output_bytes", "MAX_OUTPUT_BYTES", "number"]
];

// A plain decimal number; "30s", "0x10", "Infinity" and " 30" are not.
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

// Env text becomes the value the file would hold. Text that is not a number
// stays text, so the schema rejects it and the message quotes it as given.
// Choices ignore case and surrounding blanks, as `collect` does for GPU_BACKEND.
const fromEnv = (kind: EnvKind, raw: string): unknown =>
  kind === "number" ? (NUMERIC.test(raw) ? Number(raw) : raw) : kind === "choice" ? raw.trim().toLowerCase() : raw;

/** Where a top-level setting came from, for the message when it is wrong. */
type Origin =
  | { readonly _tag: "File"; readonly path: string }
  | { readonly _tag: "Env"; readonly name: string; readonly raw: string }
  | { readonly _tag: "Hostname" }
  | { readonly _tag: "DefaultPool" };

const problemText = (decoded: unknown, origins: ReadonlyMap<string, Origin>, leaf: FirstLeaf): string => {
  const origin = origins.get(String(leaf.path[0]));
  const located = describeLeaf(leaf, (where) =>
    origin?._tag === "Env" && where.length === 1 ? origin.raw : valueAt(decoded, where)
  );
  switch (origin?._tag) {
    case "Env":
      return `${origin.name} (env): ${located.text}`;
    case "File":
      return `${origin.path}: ${formatPath(located.where)}: ${located.text}`;
    case "Hostname":
      return `agent_id: defaults to the hostname ${renderValue(valueAt(decoded, ["agent_id"]))}, which is not ${located.expected}; set AGENT_ID (or agent_id in the config file)`;
    case "DefaultPool":
      return `pool_name: defaults to <agent_type>_pool_1 = ${renderValue(valueAt(decoded, ["pool_name"]))}, which is not ${located.expected}; set POOL_NAME (or pool_name in the config file)`;
    default:
      return `${formatPath(located.where)}: ${located.text}`;
  }
};

/**
 * Loads the agent's settings (SPEC §3/§4): the YAML file named by `--config`
 * or AGENT_CONFIG, overridden by env vars, over the defaults. Any problem is
 * one InvalidConfig naming its source and field (exit code 78).
 */
export const loadAgentConfig: (input: AgentConfigInput) => Effect.Effect<AgentSettings, InvalidConfig> = Effect.fn(
  "AgentConfig.load"
)(function* (input: AgentConfigInput) {
  const path = yield* configPathOf(input.argv, input.env);
  const file = path === undefined ? {} : yield* readConfigFile(path, input.readFile);

  const merged = new Map<string, unknown>();
  const origins = new Map<string, Origin>();
  for (const [key, value] of Object.entries(file)) {
    merged.set(key, value);
    if (path !== undefined) origins.set(key, { _tag: "File", path });
  }
  for (const [field, name, kind] of ENV_OVERRIDES) {
    const raw = input.env[name];
    if (raw === undefined || raw === "") continue;
    merged.set(field, fromEnv(kind, raw));
    origins.set(field, { _tag: "Env", name, raw });
  }
  if (!merged.has("agent_id")) {
    merged.set("agent_id", input.hostname);
    origins.set("agent_id", { _tag: "Hostname" });
  }
  if (!merged.has("pool_name")) {
    const agentType = merged.has("agent_type") ? merged.get("agent_type") : DEFAULT_AGENT_TYPE;
    // A wrong agent_type is reported as itself, before pool_name is looked at.
    if (typeof agentType === "string") {
      merged.set("pool_name", defaultPoolName(agentType));
      origins.set("pool_name", { _tag: "DefaultPool" });
    }
  }

  // fromEntries, not assignment: a "__proto__" key stays a key (and is refused as unknown).
  const candidate = Object.fromEntries(merged);
  const decoded = Schema.decodeUnknownResult(AgentSettings)(candidate, { errors: "first", onExcessProperty: "error" });
  if (Result.isFailure(decoded)) {
    return yield* Effect.fail(invalid(problemText(candidate, origins, firstLeaf(decoded.failure.issue))));
  }
  const template = firstTemplateProblem(decoded.success.tasks);
  if (template !== undefined) {
    // Tasks come only from the file, so a template problem is always in it.
    const where = formatPath(["tasks", template.kind, "command", template.index]);
    const element = decoded.success.tasks[template.kind]?.command[template.index];
    return yield* Effect.fail(invalid(`${path ?? "config"}: ${where}: ${renderValue(element)} ${template.problem}`));
  }
  return decoded.success;
});

const firstTemplateProblem = (tasks: AgentSettings["tasks"]) => {
  for (const [kind, task] of Object.entries(tasks)) {
    const problem = templateProblem(task.command);
    if (problem !== undefined) return { kind, ...problem };
  }
  return undefined;
};
