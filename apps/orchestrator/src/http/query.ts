import { Effect, Schema, SchemaIssue } from "effect";
import { HttpRouter, HttpServerRequest } from "effect/http";
import { AGENT_ID_PATTERN, unstorableText } from "@homelab/protocol";
import { BadRequest } from "./errors.ts";

// Query-string field schemas: each decodes the raw string and names what it
// expected, so a 400 reads `min_vram_gb: expected a non-negative number, got "lots"`.

/** A decimal number >= 0 ("12", "12.5", ".5"); no sign, exponent, hex or blank. */
export const NonNegativeNumber = Schema.String.check(
  Schema.isPattern(/^(?:\d+(?:\.\d*)?|\.\d+)$/, { expected: "a non-negative number" })
).pipe(Schema.decodeTo(Schema.FiniteFromString));

/** One of a fixed set of words; the error lists them. */
export const OneOf = <const L extends ReadonlyArray<string>>(literals: L) =>
  Schema.Literals(literals).annotate({ expected: `one of ${literals.join(", ")}` });

/** `limit`: a whole number from 1 to `max`. */
export const Limit = (max: number) => {
  const expected = `a whole number from 1 to ${max}`;
  return Schema.String.check(Schema.isPattern(new RegExp(`^[1-9]\\d{0,${String(max).length - 1}}$`), { expected })).pipe(
    Schema.decodeTo(Schema.FiniteFromString),
    Schema.check(Schema.isLessThanOrEqualTo(max, { expected }))
  );
};

/** A non-empty string such as a pool name. */
export const NonEmpty = (what: string) => Schema.String.check(Schema.isMinLength(1, { expected: `a non-empty ${what}` }));

type QuerySchema = Schema.Top & {
  readonly fields: Schema.Struct.Fields;
  readonly DecodingServices: never;
};

const formatter = SchemaIssue.makeFormatterStandardSchemaV1({});

// "Expected a UUID" -> "expected a UUID"
const lowerFirst = (text: string): string =>
  /^[A-Z][a-z]/.test(text) ? `${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;

// The offending value is quoted back, but never a whole oversized query string.
const quote = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 80 ? text : `${text.slice(0, 79)}…"`;
};

const at = (input: unknown, path: ReadonlyArray<PropertyKey>): { readonly found: boolean; readonly value?: unknown } => {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return { found: false };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value };
};

/**
 * One sentence per offending field of `input` (query parameters or a JSON
 * body): `requirements.min_vram_gb: expected a number >= 0, got "lots"`.
 */
export const problemsOf = (issue: SchemaIssue.Issue, input: unknown): ReadonlyArray<string> => {
  const seen = new Set<string>();
  const problems: Array<string> = [];
  for (const found of formatter(issue).issues) {
    const path = found.path ?? [];
    const name = path.map(String).join(".");
    // A value failing two checks (pattern, then finiteness) is one problem.
    if (seen.has(name)) continue;
    seen.add(name);
    const value = path.length === 0 ? { found: false } : at(input, path.map((p) => (typeof p === "object" ? p.key : p)));
    const got = value.found ? `, got ${quote(value.value)}` : "";
    problems.push(name === "" ? lowerFirst(found.message) : `${name}: ${lowerFirst(found.message)}${got}`);
  }
  return problems;
};

/**
 * Decodes the request's query string with `schema` (a Struct of optional
 * fields). Unknown parameters, a parameter given twice and values the schema
 * refuses all fail with a BadRequest whose message names the parameter.
 */
export const decodeQuery = <S extends QuerySchema>(
  schema: S
): Effect.Effect<S["Type"], BadRequest, HttpServerRequest.ParsedSearchParams> =>
  Effect.gen(function* () {
    const params = yield* HttpServerRequest.ParsedSearchParams;
    const allowed = Object.keys(schema.fields);
    const unknown = Object.keys(params).filter((name) => !allowed.includes(name));
    if (unknown.length > 0) {
      const names = unknown.map(quote).join(", ");
      const accepted = allowed.length === 0 ? "none" : allowed.join(", ");
      return yield* new BadRequest({
        message: `unknown query parameter${unknown.length > 1 ? "s" : ""} ${names} (accepted: ${accepted})`
      });
    }
    for (const [name, value] of Object.entries(params)) {
      for (const text of Array.isArray(value) ? value : [value]) {
        const problem = unstorableText(String(text));
        if (problem !== undefined) return yield* new BadRequest({ message: `${name}: ${problem}` });
      }
    }
    const repeated = Object.keys(params).filter((name) => Array.isArray(params[name]));
    if (repeated.length > 0) {
      return yield* new BadRequest({ message: repeated.map((name) => `${name}: given more than once`).join("; ") });
    }
    return yield* Schema.decodeUnknownEffect(schema)(params, { errors: "all" }).pipe(
      Effect.mapError((error) => new BadRequest({ message: problemsOf(error.issue, params).join("; ") }))
    );
  });

/** What a path segment must look like to name something: checked before any query. */
export interface PathIdPattern {
  readonly what: string;
  readonly pattern: RegExp;
  readonly expected: string;
}

export const AGENT_ID_PATH: PathIdPattern = {
  what: "agent_id",
  pattern: AGENT_ID_PATTERN,
  expected: "1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit"
};

/** Work ids are the UUIDs `POST /work` hands out. */
export const WORK_ID_PATH: PathIdPattern = {
  what: "work_id",
  pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  expected: "a UUID"
};

/** The route's `:id`, checked against `id`'s pattern; anything else is a 400 naming it (never a query). */
export const pathId = (id: PathIdPattern): Effect.Effect<string, BadRequest, HttpRouter.RouteContext> =>
  Effect.gen(function* () {
    const { id: value = "" } = yield* HttpRouter.params;
    if (id.pattern.test(value)) return value;
    return yield* new BadRequest({ message: `${id.what}: expected ${id.expected}, got ${quote(value)}` });
  });
