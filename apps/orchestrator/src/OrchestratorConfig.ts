import { Effect, Option, type Redacted, Result, Schema } from "effect";
import { AMQP_TLS_DOC, AMQP_TLS_ENV, AMQP_TLS_FIELDS, type AmqpEndpoint, amqpEndpoint } from "@homelab/broker";
import {
  type ConfigInput,
  configPathOf,
  type FieldDoc,
  invalid,
  InvalidConfig,
  LOG_LEVELS,
  loadSettings,
  type LogLevelName,
  type SettingsSpec
} from "@homelab/config";
import { ALERT_URLS_ENV, ALERTS_DOC, alertSettings } from "./alerts/alertConfig.ts";
import type { AlertSettings } from "./alerts/types.ts";

export interface OrchestratorSettings {
  readonly amqp_url: Redacted.Redacted<string>;
  /** The broker to connect to, with the TLS files read (amqps://). */
  readonly amqp: AmqpEndpoint;
  readonly reply_queue: string;
  readonly log_level: LogLevelName;
  /** Unset: embedded PGlite under data_dir. */
  readonly database_url: Option.Option<Redacted.Redacted<string>>;
  readonly data_dir: string;
  readonly http_host: string;
  readonly http_port: number;
  readonly heartbeat_timeout_seconds: number;
  readonly offline_sweep_interval_seconds: number;
  readonly api_token: Option.Option<Redacted.Redacted<string>>;
  /** Set: /metrics needs it as a bearer token. */
  readonly metrics_token: Option.Option<Redacted.Redacted<string>>;
  /** Set: requests whose Host header is not one of these are refused. */
  readonly http_allowed_hosts: Option.Option<ReadonlyArray<string>>;
  /** "broker_user": agents publish as their own broker user, and only that user may speak for its agent. */
  readonly agent_identity: "shared" | "broker_user";
  /** Work with no result this long after its timeout_seconds becomes timed_out. */
  readonly work_result_grace_seconds: number;
  /** Days of per-minute agent history kept for the dashboard; 0 keeps none (and writes none). */
  readonly history_retention_days: number;
  /** The dashboard's built files, served at /; unset: beside the bundle (dist/apps/dashboard). */
  readonly dashboard_dir: Option.Option<string>;
  /** Where alerts go and when (`alerts:` in the file, plus ALERT_URLS); no channels: alerting is off. */
  readonly alerts: AlertSettings;
}

const urlWith = (protocols: ReadonlyArray<string>) =>
  Schema.String.check(
    Schema.makeFilter((text: string) => URL.canParse(text) && protocols.includes(new URL(text).protocol) && new URL(text).hostname !== "")
  );
const NonEmpty = Schema.String.check(Schema.isMinLength(1));
const between = (minimum: number, maximum: number) => Schema.Finite.check(Schema.isBetween({ minimum, maximum }));
const withDefault = <S extends Schema.Top & { readonly DecodingServices: never }>(value: S["Encoded"]) =>
  Schema.withDecodingDefaultKey<S>(Effect.succeed(value));

/** The orchestrator's settings as its config file spells them (snake_case, SPEC §3), with the defaults. */
export const OrchestratorFile = Schema.Struct({
  amqp_url: Schema.RedactedFromValue(urlWith(["amqp:", "amqps:"]), { label: "amqp_url" }).pipe(
    withDefault("amqp://guest:guest@127.0.0.1:5672")
  ),
  ...AMQP_TLS_FIELDS,
  reply_queue: NonEmpty.check(Schema.isMaxLength(255)).pipe(withDefault("orchestrator.replies")),
  log_level: Schema.Literals(LOG_LEVELS).pipe(withDefault("info")),
  database_url: Schema.optionalKey(Schema.RedactedFromValue(urlWith(["postgres:", "postgresql:"]), { label: "database_url" })),
  data_dir: NonEmpty.pipe(withDefault("./data")),
  http_host: NonEmpty.pipe(withDefault("0.0.0.0")),
  http_port: between(0, 65535).check(Schema.isInt()).pipe(withDefault(8080)),
  heartbeat_timeout_seconds: between(0.1, 86400).pipe(withDefault(90)),
  offline_sweep_interval_seconds: between(0.1, 86400).pipe(withDefault(30)),
  work_result_grace_seconds: between(0, 86400).pipe(withDefault(30)),
  history_retention_days: between(0, 3650).check(Schema.isInt()).pipe(withDefault(7)),
  dashboard_dir: Schema.optionalKey(NonEmpty),
  api_token: Schema.optionalKey(Schema.RedactedFromValue(NonEmpty, { label: "api_token" })),
  agent_identity: Schema.Literals(["shared", "broker_user"]).pipe(withDefault("shared")),
  metrics_token: Schema.optionalKey(Schema.RedactedFromValue(NonEmpty, { label: "metrics_token" })),
  http_allowed_hosts: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^\s*[A-Za-z0-9.:\-\[\]]+(\s*,\s*[A-Za-z0-9.:\-\[\]]+)*\s*$/))
  ),
  // Checked by alertSettings, which words its own problems (channel URLs hold secrets).
  alerts: Schema.optionalKey(Schema.Unknown)
});

const DOC: FieldDoc = {
  expected: "a mapping of settings",
  fields: {
    amqp_url: { expected: "an amqp: or amqps: URL with a host" },
    ...AMQP_TLS_DOC,
    reply_queue: { expected: "a queue name of 1-255 characters" },
    log_level: { expected: `one of ${LOG_LEVELS.join(", ")}` },
    database_url: { expected: "a postgres: or postgresql: URL" },
    data_dir: { expected: "a non-empty path" },
    http_host: { expected: "a non-empty host name or address" },
    http_port: { expected: "an integer from 0 to 65535" },
    heartbeat_timeout_seconds: { expected: "a number from 0.1 to 86400" },
    offline_sweep_interval_seconds: { expected: "a number from 0.1 to 86400" },
    work_result_grace_seconds: { expected: "a number from 0 to 86400" },
    history_retention_days: { expected: "a whole number of days from 0 to 3650 (0: no history)" },
    dashboard_dir: { expected: "a non-empty path" },
    api_token: { expected: "a non-empty token" },
    metrics_token: { expected: "a non-empty token" },
    agent_identity: { expected: "shared or broker_user" },
    http_allowed_hosts: { expected: "host names separated by commas (e.g. fleet.lan,localhost)" },
    alerts: { expected: ALERTS_DOC.expected }
  } satisfies Record<keyof typeof OrchestratorFile.fields, FieldDoc>
};

const SPEC: SettingsSpec<typeof OrchestratorFile> = {
  schema: OrchestratorFile,
  doc: DOC,
  configEnv: "ORCHESTRATOR_CONFIG",
  env: {
    amqp_url: "string",
    ...AMQP_TLS_ENV,
    reply_queue: "string",
    log_level: "choice",
    database_url: "string",
    data_dir: "string",
    http_host: "string",
    http_port: "number",
    heartbeat_timeout_seconds: "number",
    offline_sweep_interval_seconds: "number",
    work_result_grace_seconds: "number",
    history_retention_days: "number",
    dashboard_dir: "string",
    api_token: "string",
    metrics_token: "string",
    agent_identity: "choice",
    http_allowed_hosts: "string"
  },
  redaction: { urls: ["amqp_url", "database_url"], secrets: ["api_token", "metrics_token"] }
};

/**
 * Orchestrator settings (SPEC §3) through @homelab/config: env wins over the
 * YAML file named by `--config` or ORCHESTRATOR_CONFIG, which wins over the
 * defaults; ALERT_URLS adds alert channels to the file's `alerts.channels`.
 * Any problem is one InvalidConfig line naming the source and the field
 * (exit 78).
 */
export const loadOrchestratorConfig = (input: ConfigInput): Effect.Effect<OrchestratorSettings, InvalidConfig> =>
  loadSettings(SPEC, input).pipe(
    Effect.flatMap((file) =>
      amqpEndpoint(file, input.readFile).pipe(
        Effect.mapError((message) => new InvalidConfig({ message })),
        Effect.map((amqp) => ({ ...file, amqp }))
      )
    ),
    Effect.flatMap((file) =>
      configPathOf(input.argv, input.env, SPEC.configEnv).pipe(
        Effect.flatMap((path) =>
          Result.match(alertSettings(file.alerts, input.env[ALERT_URLS_ENV], path), {
            onFailure: (problem) => Effect.fail(invalid(problem)),
            onSuccess: (alerts) => Effect.succeed({ ...file, alerts })
          })
        )
      )
    ),
    Effect.map((file) => ({
      ...file,
      database_url: Option.fromNullishOr(file.database_url),
      dashboard_dir: Option.fromNullishOr(file.dashboard_dir),
      api_token: Option.fromNullishOr(file.api_token),
      metrics_token: Option.fromNullishOr(file.metrics_token),
      http_allowed_hosts: Option.map(Option.fromNullishOr(file.http_allowed_hosts), (list) =>
        list.split(",").map((host) => host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1"))
      )
    }))
  );
