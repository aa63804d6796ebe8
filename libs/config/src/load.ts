import { Effect, Result, Schema } from "effect";
import type { InvalidConfig } from "./InvalidConfig.ts";
import { configPathOf, invalid, readConfigFile } from "./configFile.ts";
import { describeLeaf, type FieldDoc, type FirstLeaf, firstLeaf, type Redaction, valueAt } from "./issueText.ts";
import { formatPath } from "./wording.ts";

/** What a loader reads; the process passes its own, tests pass their own. */
export interface ConfigInput {
  /** Command-line arguments; only `--config` is looked at. */
  readonly argv: ReadonlyArray<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Effect.Effect<string, unknown>;
}

/** How an env var's text becomes a value: kept as text, a number, or a choice (case and blanks ignored). */
export type EnvKind = "string" | "number" | "choice";

/** A setting computed before decoding when neither the file nor the env sets it (agent_id = the hostname). */
export interface Derived {
  readonly field: string;
  /** The value, from what is set so far; undefined leaves it unset (the schema says what is missing). */
  readonly value: (set: ReadonlyMap<string, unknown>) => unknown;
  /** The message when the derived value is refused: what it was derived from and how to set it instead. */
  readonly refused: (value: unknown, expected: string) => string;
}

/** An app's settings: one schema with its defaults, the words for each field, and where env can override. */
export interface SettingsSpec<S extends Schema.Top & { readonly DecodingServices: never }> {
  /** A Struct of every setting, snake_case as in the file, with decoding defaults. */
  readonly schema: S;
  readonly doc: FieldDoc;
  /**
   * The settings an env var overrides (SPEC §3), with how its text is read.
   * The variable is the field's name in upper case (`heartbeat_interval_seconds`
   * → `HEARTBEAT_INTERVAL_SECONDS`).
   */
  readonly env: { readonly [K in keyof S["Type"] & string]?: EnvKind };
  /** The env var naming the config file when `--config` does not (AGENT_CONFIG, ORCHESTRATOR_CONFIG). */
  readonly configEnv: string;
  readonly redaction: Redaction;
  readonly derived?: ReadonlyArray<Derived>;
  /** A check of the decoded settings a schema cannot make (a task template); its problem, or undefined. */
  readonly check?: (settings: S["Type"], path: string | undefined) => string | undefined;
}

// A plain decimal number; "30s", "0x10", "Infinity" and " 30" are not.
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

// Env text becomes the value the file would hold. Text that is not a number
// stays text, so the schema rejects it and the message quotes it as given.
const fromEnv = (kind: EnvKind, raw: string): unknown =>
  kind === "number" ? (NUMERIC.test(raw) ? Number(raw) : raw) : kind === "choice" ? raw.trim().toLowerCase() : raw;

/** Where a top-level setting came from, for the message when it is wrong. */
type Origin =
  | { readonly _tag: "File"; readonly path: string }
  | { readonly _tag: "Env"; readonly name: string; readonly raw: string }
  | { readonly _tag: "Derived"; readonly derived: Derived };

const problemText = (
  spec: Pick<SettingsSpec<never>, "doc" | "redaction">,
  decoded: unknown,
  origins: ReadonlyMap<string, Origin>,
  leaf: FirstLeaf
): string => {
  const origin = origins.get(String(leaf.path[0]));
  const located = describeLeaf(leaf, spec.doc, spec.redaction, (where) =>
    origin?._tag === "Env" && where.length === 1 ? origin.raw : valueAt(decoded, where)
  );
  switch (origin?._tag) {
    case "Env":
      return `${origin.name} (env): ${located.text}`;
    case "File":
      return `${origin.path}: ${formatPath(located.where)}: ${located.text}`;
    case "Derived":
      return origin.derived.refused(valueAt(decoded, [origin.derived.field]), located.expected);
    default:
      return `${formatPath(located.where)}: ${located.text}`;
  }
};

/**
 * Loads an app's settings (SPEC §3): the YAML file named by `--config` or
 * `spec.configEnv`, overridden by env vars, over the schema's defaults, with
 * unknown keys refused (with a suggestion). Any problem is one InvalidConfig
 * naming its source and field, its value quoted without secrets (exit 78).
 */
export const loadSettings = <S extends Schema.Top & { readonly DecodingServices: never }>(
  spec: SettingsSpec<S>,
  input: ConfigInput
): Effect.Effect<S["Type"], InvalidConfig> =>
  Effect.gen(function* () {
    const path = yield* configPathOf(input.argv, input.env, spec.configEnv);
    const file = path === undefined ? {} : yield* readConfigFile(path, input.readFile);

    const merged = new Map<string, unknown>();
    const origins = new Map<string, Origin>();
    for (const [key, value] of Object.entries(file)) {
      merged.set(key, value);
      if (path !== undefined) origins.set(key, { _tag: "File", path });
    }
    for (const [field, kind] of Object.entries<EnvKind | undefined>(spec.env)) {
      if (kind === undefined) continue;
      const name = field.toUpperCase();
      const raw = input.env[name];
      if (raw === undefined || raw === "") continue;
      merged.set(field, fromEnv(kind, raw));
      origins.set(field, { _tag: "Env", name, raw });
    }
    for (const derived of spec.derived ?? []) {
      if (merged.has(derived.field)) continue;
      const value = derived.value(merged);
      if (value === undefined) continue;
      merged.set(derived.field, value);
      origins.set(derived.field, { _tag: "Derived", derived });
    }

    // fromEntries, not assignment: a "__proto__" key stays a key (and is refused as unknown).
    const candidate = Object.fromEntries(merged);
    const decoded = Schema.decodeUnknownResult(spec.schema)(candidate, { errors: "first", onExcessProperty: "error" });
    if (Result.isFailure(decoded)) {
      return yield* Effect.fail(invalid(problemText(spec, candidate, origins, firstLeaf(decoded.failure.issue))));
    }
    const problem = spec.check?.(decoded.success, path);
    if (problem !== undefined) return yield* Effect.fail(invalid(problem));
    return decoded.success;
  });
