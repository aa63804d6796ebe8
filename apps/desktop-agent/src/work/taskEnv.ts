/**
 * The only variables a task inherits from the agent's own environment. The
 * agent's environment holds its secrets (AMQP_URL with a password, say):
 * everything else a task needs is written in its `env:` in the config.
 */
export const INHERITED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "TZ"] as const;

/** A task's environment: {@link INHERITED_ENV} from the agent's, then the task's own entries over them. */
export const taskEnvironment = (
  agentEnv: Readonly<Record<string, string | undefined>>,
  taskEnv: Readonly<Record<string, string>> = {}
): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = agentEnv[name];
    if (value !== undefined) env[name] = value;
  }
  // defineProperty, not assignment: a "__proto__" entry stays a plain variable.
  for (const [name, value] of Object.entries(taskEnv)) {
    Object.defineProperty(env, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return env;
};
