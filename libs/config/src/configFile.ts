import { Effect, Predicate } from "effect";
import YAML from "yaml";
import { InvalidConfig } from "./InvalidConfig.ts";
import { causeText, renderValue } from "./wording.ts";

/** A one-line InvalidConfig; every config failure goes through here. */
export const invalid = (text: string): InvalidConfig => new InvalidConfig({ message: `invalid configuration: ${text}` });

/**
 * The config file named by `--config <path>` / `--config=<path>` (the last one
 * wins, nothing after `--` counts; everything after the first `=` is the
 * path, so `--config=/a=b.yaml` names `/a=b.yaml`), else by the env var
 * `configEnv`; undefined when neither names one.
 */
export const configPathOf = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  configEnv: string
): Effect.Effect<string | undefined, InvalidConfig> => {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg === "--config") {
      const next = argv[i + 1];
      if (next === undefined || next === "" || next.startsWith("--")) {
        return Effect.fail(invalid("--config: expected a file path after it"));
      }
      found = next;
      i++;
    } else if (arg?.startsWith("--config=")) {
      found = arg.slice("--config=".length);
      if (found === "") return Effect.fail(invalid("--config: expected a file path after ="));
    }
  }
  const fromEnv = env[configEnv];
  return Effect.succeed(found ?? (fromEnv === "" ? undefined : fromEnv));
};

const yamlProblem = (error: YAML.YAMLError): string => {
  const [start] = error.linePos ?? [];
  // yaml appends " at line L, column C:" and a source excerpt; the excerpt may
  // hold a secret and spans lines, so only the first sentence is kept.
  const what = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?\s*$/, "");
  const at = start === undefined ? "" : `line ${start.line}, column ${start.col}: `;
  return `${at}invalid YAML: ${what}`;
};

const kindOf = (value: unknown): string => (Array.isArray(value) ? "a list" : renderValue(value));

/**
 * Reads and parses the config file: its top level must be a mapping (an empty
 * file is an empty one). Keys are checked later, by the settings schema.
 */
export const readConfigFile = (
  path: string,
  readFile: (path: string) => Effect.Effect<string, unknown>
): Effect.Effect<{ readonly [key: string]: unknown }, InvalidConfig> =>
  Effect.gen(function* () {
    const text = yield* readFile(path).pipe(Effect.mapError((error) => invalid(`cannot read ${path}: ${causeText(error)}`)));
    const doc = YAML.parseDocument(text, { strict: true, uniqueKeys: true, stringKeys: true, logLevel: "error" });
    // Warnings (an unknown tag, say) would silently change a value: refuse them too.
    const [problem] = [...doc.errors, ...doc.warnings];
    if (problem !== undefined) return yield* Effect.fail(invalid(`${path}: ${yamlProblem(problem)}`));
    const value = yield* Effect.try({
      try: (): unknown => doc.toJS({ maxAliasCount: 100 }),
      catch: (error) => invalid(`${path}: invalid YAML: ${causeText(error)}`)
    });
    if (value === null || value === undefined) return {};
    if (!Predicate.isObject(value)) {
      return yield* Effect.fail(invalid(`${path}: expected a mapping of settings at the top level, got ${kindOf(value)}`));
    }
    return value;
  });
