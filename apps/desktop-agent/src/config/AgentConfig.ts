import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { Effect } from "effect";
import { AMQP_TLS_ENV, type AmqpEndpoint, amqpEndpoint } from "@homelab/broker";
import { type ConfigInput, formatPath, InvalidConfig, loadSettings, renderValue, type SettingsSpec } from "@homelab/config";
import { defaultPoolName } from "@homelab/protocol";
import { templateProblem } from "../work/template.ts";
import { AgentSettings, DEFAULT_AGENT_TYPE, SETTINGS_DOC } from "./AgentSettings.ts";

export { AgentSettings, TaskKind, TaskRequirements } from "./AgentSettings.ts";

/** What loadAgentConfig reads; the process passes its own, tests pass their own. */
export interface AgentConfigInput extends ConfigInput {
  /** Default for agent_id. */
  readonly hostname: string;
}

const firstTemplateProblem = (tasks: AgentSettings["tasks"]) => {
  for (const [kind, task] of Object.entries(tasks)) {
    const problem = templateProblem(task.command);
    if (problem !== undefined) return { kind, ...problem };
  }
  return undefined;
};

/** An executable regular file at `file`. */
const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

/**
 * Why a task's program cannot be used, or undefined: it must be an absolute
 * path, or a bare name found on `PATH` now (a relative path with a slash
 * would depend on the directory the agent happens to run in).
 */
const programProblem = (program: string, searchPath: string): string | undefined => {
  if (path.isAbsolute(program)) return undefined;
  if (program.includes("/")) return "is a relative path; give an absolute path or a program name found on PATH";
  const found = searchPath.split(":").some((dir) => dir !== "" && isExecutable(path.join(dir, program)));
  return found ? undefined : `is not found on PATH (${searchPath || "empty"}); install it or give its absolute path`;
};

const firstProgramProblem = (tasks: AgentSettings["tasks"], searchPath: string) => {
  for (const [kind, task] of Object.entries(tasks)) {
    const program = task.command[0] ?? "";
    const problem = programProblem(program, searchPath);
    if (problem !== undefined) return { kind, program, problem };
  }
  return undefined;
};

/** The agent's settings for @homelab/config (SPEC §3/§4); agent_id defaults to the machine's hostname. */
const agentSpec = (hostname: string, searchPath: string): SettingsSpec<typeof AgentSettings> => ({
  schema: AgentSettings,
  doc: SETTINGS_DOC,
  configEnv: "AGENT_CONFIG",
  // SPEC §3: the env vars that override file settings (tasks come only from the file).
  env: {
    agent_id: "string",
    agent_type: "string",
    pool_name: "string",
    amqp_url: "string",
    ...AMQP_TLS_ENV,
    reply_queue: "string",
    log_level: "choice",
    heartbeat_interval_seconds: "number",
    gpu_backend: "choice",
    max_concurrent_work: "number",
    shutdown_grace_seconds: "number",
    max_output_bytes: "number",
    orchestrator_user: "string"
  },
  redaction: { urls: ["amqp_url"], secrets: [] },
  derived: [
    {
      field: "agent_id",
      value: () => hostname,
      refused: (value, expected) =>
        `agent_id: defaults to the hostname ${renderValue(value)}, which is not ${expected}; set AGENT_ID (or agent_id in the config file)`
    },
    {
      field: "pool_name",
      // A wrong agent_type is reported as itself, before pool_name is looked at.
      value: (set) => {
        const agentType = set.has("agent_type") ? set.get("agent_type") : DEFAULT_AGENT_TYPE;
        return typeof agentType === "string" ? defaultPoolName(agentType) : undefined;
      },
      refused: (value, expected) =>
        `pool_name: defaults to <agent_type>_pool_1 = ${renderValue(value)}, which is not ${expected}; set POOL_NAME (or pool_name in the config file)`
    }
  ],
  check: (settings, file) => {
    // Tasks come only from the file, so a task problem is always in it.
    const template = firstTemplateProblem(settings.tasks);
    if (template !== undefined) {
      const where = formatPath(["tasks", template.kind, "command", template.index]);
      const element = settings.tasks[template.kind]?.command[template.index];
      return `${file ?? "config"}: ${where}: ${renderValue(element)} ${template.problem}`;
    }
    const program = firstProgramProblem(settings.tasks, searchPath);
    if (program === undefined) return undefined;
    return `${file ?? "config"}: ${formatPath(["tasks", program.kind, "command", 0])}: ${renderValue(program.program)} ${program.problem}`;
  }
});

/**
 * Loads the agent's settings (SPEC §3/§4): the YAML file named by `--config`
 * or AGENT_CONFIG, overridden by env vars, over the defaults, with the
 * broker endpoint (its TLS files read). Any problem is one InvalidConfig
 * naming its source and field (exit code 78).
 */
export const loadAgentConfig = (input: AgentConfigInput): Effect.Effect<AgentSettings & { readonly amqp: AmqpEndpoint }, InvalidConfig> =>
  loadSettings(agentSpec(input.hostname, input.env["PATH"] ?? ""), input).pipe(
    Effect.flatMap((settings) =>
      amqpEndpoint(settings, input.readFile).pipe(
        Effect.mapError((message) => new InvalidConfig({ message })),
        Effect.map((amqp) => ({ ...settings, amqp }))
      )
    )
  );
