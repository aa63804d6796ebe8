/**
 * `npx nx run orchestrator:add-agent -- <agent_id>` and `remove-agent`: an
 * agent's own broker user (AGENT_IDENTITY=broker_user), made with least
 * privilege through rabbitmqctl or the management HTTP API, with the queues
 * it needs declared by the orchestrator's own (administrator) connection.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Data, Effect, Redacted, Runtime } from "effect";
import {
  agentPermissions,
  BrokerAdminFailed,
  type BrokerUserAdmin,
  brokerUserOf,
  declareAgentQueues,
  deleteAgentQueue,
  managementApiAdmin,
  rabbitmqctlAdmin
} from "@homelab/broker";
import { AGENT_ID_PATTERN, workQueueTopology } from "@homelab/protocol";
import type { OrchestratorSettings } from "./OrchestratorConfig.ts";

/** The command line was wrong: the usage line says what it takes. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {
  override readonly [Runtime.errorExitCode] = 64;
  override readonly [Runtime.errorReported] = false;
}

export const USAGE = [
  "usage: add-agent <agent_id> [--save <new file>] [--host <broker host agents reach>] [--management-url <http://host:15672>]",
  "       remove-agent <agent_id> [--management-url <http://host:15672>]",
  "(both also take --config <orchestrator.yaml>; they use the orchestrator's AMQP_URL)"
].join("\n");

export interface AgentAccessArgs {
  readonly command: "add" | "remove";
  readonly agentId: string;
  readonly host: string | undefined;
  readonly managementUrl: string | undefined;
  /** add: write the agent's settings to this new file (mode 600) instead of stdout. */
  readonly envFile?: string | undefined;
}

/** Parses `add|remove <agent_id> [--host H] [--management-url U] [--config F]` (--config is the config loader's). */
export const parseAgentAccessArgs = (argv: ReadonlyArray<string>): Effect.Effect<AgentAccessArgs, UsageError> =>
  Effect.gen(function* () {
    const fail = (problem: string) => Effect.fail(new UsageError({ message: `${problem}\n${USAGE}` }));
    const [command, ...rest] = argv;
    if (command !== "add" && command !== "remove") return yield* fail(`unknown command ${JSON.stringify(command ?? "")}`);
    const positional: Array<string> = [];
    const options = new Map<string, string>();
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i] as string;
      const [flag, inline] = arg.startsWith("--") ? (arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]) : [undefined, undefined];
      if (flag === undefined) {
        positional.push(arg);
        continue;
      }
      if (!["--host", "--management-url", "--config", "--save"].includes(flag)) return yield* fail(`unknown option ${flag}`);
      const value = inline ?? rest[++i];
      if (value === undefined || value === "") return yield* fail(`${flag} needs a value`);
      options.set(flag, value);
    }
    if (positional.length !== 1) return yield* fail(positional.length === 0 ? "missing <agent_id>" : `one agent_id, not ${positional.length}`);
    const agentId = positional[0] as string;
    if (!AGENT_ID_PATTERN.test(agentId)) {
      return yield* fail(`${JSON.stringify(agentId)} is not an agent_id (1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit)`);
    }
    for (const addOnly of ["--host", "--save"]) {
      if (command === "remove" && options.has(addOnly)) return yield* fail(`${addOnly} is only for add`);
    }
    return { command, agentId, host: options.get("--host"), managementUrl: options.get("--management-url"), envFile: options.get("--save") };
  });

/** rabbitmqctl as RABBITMQCTL names it, or found on PATH; undefined when there is none. */
const findRabbitmqctl = (env: Readonly<Record<string, string | undefined>>): string | undefined => {
  const named = env["RABBITMQCTL"];
  if (named !== undefined && named !== "") return named;
  for (const dir of (env["PATH"] ?? "").split(":")) {
    if (dir !== "" && existsSync(path.join(dir, "rabbitmqctl"))) return path.join(dir, "rabbitmqctl");
  }
  return undefined;
};

/**
 * How users are managed: the management API when --management-url is given;
 * otherwise rabbitmqctl when this machine has it (the broker host); otherwise
 * the management API on the broker's host, port 15672.
 */
export const chooseAdmin = (
  settings: Pick<OrchestratorSettings, "amqp_url">,
  managementUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>
): BrokerUserAdmin => {
  const url = new URL(Redacted.value(settings.amqp_url));
  const credentials = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  if (managementUrl !== undefined) return managementApiAdmin(managementUrl, credentials);
  const ctl = findRabbitmqctl(env);
  if (ctl !== undefined) return rabbitmqctlAdmin(ctl);
  return managementApiAdmin(`http://${url.hostname.includes(":") ? `[${url.hostname}]` : url.hostname}:15672`, credentials);
};

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

/** The AMQP URL an agent uses: the orchestrator's broker (or --host), the agent's own user and password. */
export const agentAmqpUrl = (orchestratorUrl: string, agentId: string, password: string, host: string | undefined): string => {
  const url = new URL(orchestratorUrl);
  url.username = encodeURIComponent(agentId);
  url.password = encodeURIComponent(password);
  // An agent on another machine cannot reach the server's loopback address.
  if (host !== undefined) url.hostname = host;
  else if (LOOPBACK.test(url.hostname)) url.hostname = os.hostname();
  url.search = "";
  return url.toString().replace(/\/$/, "");
};

const vhostOf = (amqpUrl: string) => decodeURIComponent(new URL(amqpUrl).pathname.split("/")[1] || "/");

/** Where the commands write: `setting` lines (KEY=VALUE, an agent.env as is) to stdout, `note`s for the person to stderr. */
export interface Printer {
  readonly setting: (name: string, value: string) => Effect.Effect<void>;
  readonly note: (text: string) => Effect.Effect<void>;
}

/** Creates the agent's broker user and the queues it uses, and prints what the agent needs. */
export const addAgent = (
  args: AgentAccessArgs,
  settings: Pick<OrchestratorSettings, "amqp_url" | "amqp" | "reply_queue" | "agent_identity">,
  admin: BrokerUserAdmin,
  out: Printer
) =>
  Effect.gen(function* () {
    const amqpUrl = Redacted.value(settings.amqp_url);
    const orchestratorUser = brokerUserOf(amqpUrl);
    if (args.agentId === orchestratorUser) {
      return yield* new BrokerAdminFailed({ message: `${args.agentId} is the orchestrator's own broker user; an agent needs a user of its own` });
    }
    if (yield* admin.exists(args.agentId)) {
      return yield* new BrokerAdminFailed({
        message: `broker user ${args.agentId} already exists (${admin.via}); to issue new credentials, run remove-agent ${args.agentId} first`
      });
    }
    // The reply queues first, with the orchestrator's rights: the agent's user may not create them.
    const declared = yield* declareAgentQueues(settings.amqp, settings.reply_queue, args.agentId);
    const work = workQueueTopology(args.agentId);
    const password = randomBytes(24).toString("base64url");
    const permissions = agentPermissions(args.agentId);
    yield* admin.create(args.agentId, password, vhostOf(amqpUrl), permissions);
    const agentUrl = agentAmqpUrl(amqpUrl, args.agentId, password, args.host);
    yield* out.note(`created broker user ${args.agentId} through ${admin.via}`);
    yield* out.note(
      `  it may consume and declare only its own queues (configure/read ${permissions.read}) and publish through the default exchange (write ${permissions.write})`
    );
    yield* out.note(`  declared ${declared.join(", ")}`);
    yield* out.note(`the agent's settings (for its agent.env; the URL holds its password, which is not kept anywhere else):`);
    yield* out.setting("AGENT_ID", args.agentId);
    yield* out.setting("AMQP_URL", agentUrl);
    if (orchestratorUser !== undefined) yield* out.setting("ORCHESTRATOR_USER", orchestratorUser);
    if (settings.amqp.tls !== undefined) {
      yield* out.note(`the broker speaks TLS: give the agent the CA certificate as AMQP_CA_FILE unless the system already trusts it`);
    }
    if (settings.agent_identity !== "broker_user") {
      yield* out.note(`the orchestrator does not check identities yet: set AGENT_IDENTITY=broker_user on it once every agent has its own user`);
    }
  });

/** Deletes the agent's broker user (RabbitMQ closes its connections) and its work queue. */
export const removeAgent = (args: AgentAccessArgs, settings: Pick<OrchestratorSettings, "amqp_url" | "amqp">, admin: BrokerUserAdmin, out: Printer) =>
  Effect.gen(function* () {
    if (args.agentId === brokerUserOf(Redacted.value(settings.amqp_url))) {
      return yield* new BrokerAdminFailed({ message: `${args.agentId} is the orchestrator's own broker user; it is not removed` });
    }
    const removed = yield* admin.remove(args.agentId);
    const queue = workQueueTopology(args.agentId).queue;
    const dropped = yield* deleteAgentQueue(settings.amqp, args.agentId);
    yield* out.note(removed ? `deleted broker user ${args.agentId} through ${admin.via}` : `there was no broker user ${args.agentId} (${admin.via})`);
    yield* out.note(
      dropped === undefined
        ? `there was no queue ${queue}`
        : `deleted queue ${queue}${dropped > 0 ? ` with ${dropped} work request(s) never delivered` : ""}`
    );
  });
