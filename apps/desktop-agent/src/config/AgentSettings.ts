import { Effect, Schema } from "effect";
import { type FieldDoc, LOG_LEVELS } from "@homelab/config";
import { GPU_BACKEND_CHOICES } from "@homelab/metrics";
import { AMQP_TLS_DOC, AMQP_TLS_FIELDS } from "@homelab/broker";
import { AgentId, GpuType } from "@homelab/protocol";

// The agent's settings as its config file spells them (snake_case, SPEC §3/§4).
// Static defaults live here; the two that depend on the machine or on another
// setting (agent_id = hostname, pool_name = <agent_type>_pool_1) are filled in
// by loadAgentConfig before decoding.

export const DEFAULT_AGENT_TYPE = "desktop";
export const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";

// Same shape as the protocol's agent_type / pool_name (ShortName), so whatever
// the config accepts also passes the heartbeat schema.
const SHORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TASK_KIND_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ENV_NAME = /^[^=\0]+$/;
const NO_NUL = /^[^\0]*$/;

const isAmqpUrl = (text: string): boolean => {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === "amqp:" || url.protocol === "amqps:") && url.hostname !== "";
};

const ShortName = Schema.String.check(Schema.isPattern(SHORT_NAME));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const AmqpUrl = Schema.String.check(Schema.makeFilter((text: string) => isAmqpUrl(text)));

const withDefault = <S extends Schema.Top & { readonly DecodingServices: never }>(value: S["Encoded"]) =>
  Schema.withDecodingDefaultKey<S>(Effect.succeed(value));

/** What a task kind needs from the machine; absent means "no requirement". */
export const TaskRequirements = Schema.Struct({
  min_vram_gb: Schema.optionalKey(NonNegative),
  min_cores: Schema.optionalKey(NonNegative),
  min_memory_gb: Schema.optionalKey(NonNegative),
  gpu_type: Schema.optionalKey(GpuType)
});
export type TaskRequirements = typeof TaskRequirements.Type;

/**
 * One entry of `tasks`: an argv template (executable first; elements may hold
 * `{name}` slots that work params fill), never run through a shell.
 */
export const TaskKind = Schema.Struct({
  command: Schema.NonEmptyArray(Schema.String.check(Schema.isPattern(NO_NUL))).check(
    Schema.makeFilter((argv: ReadonlyArray<string>) => argv[0] !== "")
  ),
  timeout_seconds: Positive.pipe(withDefault(3600)),
  requires: TaskRequirements.pipe(withDefault({})),
  cwd: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isPattern(NO_NUL))),
  env: Schema.optionalKey(
    Schema.Record(Schema.String.check(Schema.isPattern(ENV_NAME)), Schema.String.check(Schema.isPattern(NO_NUL)))
  ),
  /** Params whose value may begin with "-" (refused otherwise, so `{path}` = `--help` cannot become an option). */
  allow_option_values: Schema.optionalKey(Schema.Record(Schema.String, Schema.Boolean))
});
export type TaskKind = typeof TaskKind.Type;

/**
 * The most a task's stdout (and, apart, its stderr) may keep in a result.
 * Both together, even JSON-escaped, stay well inside the protocol's 1 MiB
 * message limit (MAX_MESSAGE_BYTES) in ordinary text.
 */
export const MAX_OUTPUT_BYTES_LIMIT = 262_144;

/** The agent's validated settings: file, then env overrides, then defaults. */
export const AgentSettings = Schema.Struct({
  agent_id: AgentId,
  agent_type: ShortName.pipe(withDefault(DEFAULT_AGENT_TYPE)),
  pool_name: ShortName,
  amqp_url: Schema.RedactedFromValue(AmqpUrl, { label: "amqp_url" }).pipe(withDefault(DEFAULT_AMQP_URL)),
  ...AMQP_TLS_FIELDS,
  reply_queue: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255)).pipe(withDefault("orchestrator.replies")),
  log_level: Schema.Literals(LOG_LEVELS).pipe(withDefault("info")),
  heartbeat_interval_seconds: Positive.check(Schema.isLessThanOrEqualTo(3600)).pipe(withDefault(30)),
  gpu_backend: Schema.Literals(GPU_BACKEND_CHOICES).pipe(withDefault("auto")),
  max_concurrent_work: Schema.Finite.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 64 })).pipe(withDefault(1)),
  shutdown_grace_seconds: NonNegative.pipe(withDefault(8)),
  max_output_bytes: Schema.Finite.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: MAX_OUTPUT_BYTES_LIMIT })).pipe(
    withDefault(65536)
  ),
  tasks: Schema.Record(Schema.String.check(Schema.isPattern(TASK_KIND_NAME)), TaskKind).pipe(withDefault({})),
  orchestrator_user: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255)))
});
export type AgentSettings = typeof AgentSettings.Type;

const SHORT_NAME_TEXT = "1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit";
const NUMBER_AT_LEAST_0 = { expected: "a number >= 0" };

const REQUIRES_DOC: FieldDoc = {
  expected: "a mapping with any of min_vram_gb, min_cores, min_memory_gb, gpu_type",
  fields: {
    min_vram_gb: NUMBER_AT_LEAST_0,
    min_cores: NUMBER_AT_LEAST_0,
    min_memory_gb: NUMBER_AT_LEAST_0,
    gpu_type: { expected: `one of ${GpuType.literals.join(", ")}` }
  } satisfies Record<keyof typeof TaskRequirements.fields, FieldDoc>
};

const TASK_DOC: FieldDoc = {
  expected: "a task definition (a mapping with command, and optionally timeout_seconds, requires, cwd, env, allow_option_values)",
  fields: {
    command: { expected: "a non-empty list of strings" },
    timeout_seconds: { expected: "a number greater than 0" },
    requires: REQUIRES_DOC,
    cwd: { expected: "a non-empty path" },
    env: {
      expected: "a mapping from environment variable names to strings",
      entries: { key: 'an environment variable name (non-empty, without "=")', value: { expected: "a string" } }
    },
    allow_option_values: {
      expected: "a mapping from param names to true",
      entries: { key: "a param name", value: { expected: "true or false" } }
    }
  } satisfies Record<keyof typeof TaskKind.fields, FieldDoc>
};

/** The field docs of the whole config file. */
export const SETTINGS_DOC: FieldDoc = {
  expected: "a mapping of settings",
  fields: {
    agent_id: { expected: "an agent_id (1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit)" },
    agent_type: { expected: `an agent type (${SHORT_NAME_TEXT})` },
    pool_name: { expected: `a pool name (${SHORT_NAME_TEXT})` },
    amqp_url: { expected: "an amqp:// or amqps:// URL with a host" },
    ...AMQP_TLS_DOC,
    reply_queue: { expected: "a queue name of 1-255 characters" },
    log_level: { expected: `one of ${LOG_LEVELS.join(", ")}` },
    heartbeat_interval_seconds: { expected: "a number greater than 0 and at most 3600" },
    gpu_backend: { expected: `one of ${GPU_BACKEND_CHOICES.join(", ")}` },
    max_concurrent_work: { expected: "a whole number from 1 to 64" },
    shutdown_grace_seconds: NUMBER_AT_LEAST_0,
    max_output_bytes: { expected: `a whole number of bytes from 0 to ${MAX_OUTPUT_BYTES_LIMIT}` },
    orchestrator_user: { expected: "the orchestrator's broker user name (1-255 characters)" },
    tasks: {
      expected: "a mapping from task kind names to task definitions",
      entries: { key: "a task kind name (1-64 of A-Z a-z 0-9 . _ : -, starting with a letter or digit)", value: TASK_DOC }
    }
  } satisfies Record<keyof typeof AgentSettings.fields, FieldDoc>
};
