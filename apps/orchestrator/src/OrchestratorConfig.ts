import { Effect, Option, Redacted } from "effect";
import YAML from "yaml";
import { InvalidConfig } from "./InvalidConfig.ts";

export interface OrchestratorSettings {
  readonly amqp_url: Redacted.Redacted<string>;
  readonly reply_queue: string;
  readonly log_level: "trace" | "debug" | "info" | "warn" | "error";
  /** Unset: embedded PGlite under data_dir. */
  readonly database_url: Option.Option<Redacted.Redacted<string>>;
  readonly data_dir: string;
  readonly http_host: string;
  readonly http_port: number;
  readonly heartbeat_timeout_seconds: number;
  readonly offline_sweep_interval_seconds: number;
  readonly api_token: Option.Option<Redacted.Redacted<string>>;
  /** Work with no result this long after its timeout_seconds becomes timed_out. */
  readonly work_result_grace_seconds: number;
}

type Key = keyof OrchestratorSettings;

type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

/** Each setting: its env name, its default, and how to read and check a value. */
interface Field<T> {
  readonly env: string;
  readonly fallback: unknown;
  readonly read: (raw: unknown) => Read<T>;
}

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const bad = <T>(expected: string): Read<T> => ({ ok: false, expected });
const number = (min: number, max: number, integer: boolean) => (raw: unknown): Read<number> => {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*[0-9.]+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n))
    ? ok(n)
    : bad(`${integer ? "an integer" : "a number"} from ${min} to ${max}`);
};
const text = (raw: unknown): Read<string> =>
  typeof raw === "string" && raw.trim() !== "" ? ok(raw.trim()) : bad("a non-empty string");
const url = (protocols: ReadonlyArray<string>) => (raw: unknown): Read<Redacted.Redacted<string>> => {
  if (typeof raw !== "string") return bad(`a ${protocols.join(" or ")} URL`);
  try {
    return protocols.includes(new URL(raw).protocol) ? ok(Redacted.make(raw)) : bad(`a ${protocols.join(" or ")} URL`);
  } catch {
    return bad(`a ${protocols.join(" or ")} URL`);
  }
};
const optional =
  <T>(inner: (raw: unknown) => Read<T>) =>
  (raw: unknown): Read<Option.Option<T>> => {
    if (raw === undefined) return ok(Option.none());
    const r = inner(raw);
    return r.ok ? ok(Option.some(r.value)) : bad(r.expected);
  };
const LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
const isLevel = (v: string): v is OrchestratorSettings["log_level"] => LEVELS.some((l) => l === v);

const FIELDS: { readonly [K in Key]: Field<OrchestratorSettings[K]> } = {
  amqp_url: { env: "AMQP_URL", fallback: "amqp://guest:guest@127.0.0.1:5672", read: url(["amqp:", "amqps:"]) },
  reply_queue: { env: "REPLY_QUEUE", fallback: "orchestrator.replies", read: text },
  log_level: {
    env: "LOG_LEVEL",
    fallback: "info",
    read: (raw) => {
      const v = typeof raw === "string" ? raw.trim().toLowerCase() : "";
      return isLevel(v) ? ok(v) : bad(`one of ${LEVELS.join(", ")}`);
    }
  },
  database_url: { env: "DATABASE_URL", fallback: undefined, read: optional(url(["postgres:", "postgresql:"])) },
  data_dir: { env: "DATA_DIR", fallback: "./data", read: text },
  http_host: { env: "HTTP_HOST", fallback: "0.0.0.0", read: text },
  http_port: { env: "HTTP_PORT", fallback: 8080, read: number(0, 65535, true) },
  heartbeat_timeout_seconds: { env: "HEARTBEAT_TIMEOUT_SECONDS", fallback: 90, read: number(0.1, 86400, false) },
  offline_sweep_interval_seconds: { env: "OFFLINE_SWEEP_INTERVAL_SECONDS", fallback: 30, read: number(0.1, 86400, false) },
  work_result_grace_seconds: { env: "WORK_RESULT_GRACE_SECONDS", fallback: 30, read: number(0, 86400, false) },
  api_token: {
    env: "API_TOKEN",
    fallback: undefined,
    read: optional((raw): Read<Redacted.Redacted<string>> => {
      const r = text(raw);
      return r.ok ? ok(Redacted.make(r.value)) : bad(r.expected);
    })
  }
};

const redact = (raw: unknown): string => JSON.stringify(typeof raw === "string" ? raw.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@") : raw);

/**
 * Orchestrator settings (SPEC §3): env wins over the YAML file named by
 * `--config` or ORCHESTRATOR_CONFIG, which wins over the defaults. Any problem
 * is one InvalidConfig line naming the source and the field (exit 78).
 */
export const loadOrchestratorConfig = (input: {
  readonly argv: ReadonlyArray<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Effect.Effect<string, unknown>;
}): Effect.Effect<OrchestratorSettings, InvalidConfig> =>
  Effect.gen(function* () {
    const flag = input.argv.findIndex((a) => a === "--config" || a.startsWith("--config="));
    const path =
      flag < 0 ? input.env["ORCHESTRATOR_CONFIG"] || undefined : (input.argv[flag]?.split("=")[1] ?? input.argv[flag + 1]);
    let file: Record<string, unknown> = {};
    if (path !== undefined) {
      const source = yield* input.readFile(path).pipe(
        Effect.mapError((e) => new InvalidConfig({ message: `invalid configuration: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}` }))
      );
      const parsed = yield* Effect.try({
        try: (): unknown => YAML.parse(source, { strict: true, uniqueKeys: true }) ?? {},
        catch: (e) => new InvalidConfig({ message: `invalid configuration: ${path}: invalid YAML: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}` })
      });
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return yield* new InvalidConfig({ message: `invalid configuration: ${path}: expected a mapping of settings` });
      }
      file = Object.fromEntries(Object.entries(parsed));
      const unknown = Object.keys(file).filter((k) => !(k in FIELDS));
      if (unknown.length > 0) {
        return yield* new InvalidConfig({
          message: `invalid configuration: ${path}: unknown key ${unknown[0]}; known keys: ${Object.keys(FIELDS).join(", ")}`
        });
      }
    }
    const get = <K extends Key>(key: K): Effect.Effect<OrchestratorSettings[K], InvalidConfig> => {
      const field: Field<OrchestratorSettings[K]> = FIELDS[key];
      const fromEnv = input.env[field.env];
      const [raw, where] =
        fromEnv !== undefined && fromEnv !== ""
          ? [fromEnv, `${field.env} (env)`]
          : key in file
            ? [file[key], `${path}: ${key}`]
            : [field.fallback, `${key} (default)`];
      const read = field.read(raw);
      return read.ok
        ? Effect.succeed(read.value)
        : Effect.fail(new InvalidConfig({ message: `invalid configuration: ${where}: expected ${read.expected}, got ${redact(raw)}` }));
    };
    return {
      amqp_url: yield* get("amqp_url"),
      reply_queue: yield* get("reply_queue"),
      log_level: yield* get("log_level"),
      database_url: yield* get("database_url"),
      data_dir: yield* get("data_dir"),
      http_host: yield* get("http_host"),
      http_port: yield* get("http_port"),
      heartbeat_timeout_seconds: yield* get("heartbeat_timeout_seconds"),
      offline_sweep_interval_seconds: yield* get("offline_sweep_interval_seconds"),
      api_token: yield* get("api_token"),
      work_result_grace_seconds: yield* get("work_result_grace_seconds")
    };
  });
