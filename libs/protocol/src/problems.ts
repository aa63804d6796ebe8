import { SchemaIssue } from "effect";

/** One thing wrong with a message: where, and what, in words. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

// Messages quote the offending input; a 1 MiB string must not become a 1 MiB log line.
const MAX_MESSAGE_CHARS = 400;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

type PathSegment = PropertyKey | { readonly key: PropertyKey };

const segmentKey = (segment: PathSegment): PropertyKey => (typeof segment === "object" ? segment.key : segment);

/** Renders a path as `payload.resources.gpus[0].name`; odd keys as `params["a b"]`. */
export const formatPath = (path: ReadonlyArray<PathSegment>): string =>
  path.map(segmentKey).reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    if (typeof key === "symbol") return `${out}[${String(key)}]`;
    if (IDENTIFIER.test(key)) return out === "" ? key : `${out}.${key}`;
    return `${out}[${JSON.stringify(key)}]`;
  }, "");

const truncate = (text: string, max: number = MAX_MESSAGE_CHARS): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

// "Expected a UUID" -> "expected a UUID", but leave "UUID ..." alone.
const lowerFirst = (text: string): string =>
  /^[A-Z][a-z]/.test(text) ? `${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;

/** The sentence for one problem: `<path>: <what is wrong>`, or just the text at the root. */
export const sentence = (path: string, text: string): string =>
  truncate(path === "" ? lowerFirst(text) : `${path}: ${lowerFirst(text)}`);

const formatter = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (leaf) => (leaf._tag === "MissingKey" ? "missing required field" : SchemaIssue.defaultLeafHook(leaf))
});

/** Flattens a schema issue into problems, in schema field order; `prefix` is prepended to every path. */
export const problemsOf = (issue: SchemaIssue.Issue, prefix: ReadonlyArray<PropertyKey> = []): ReadonlyArray<Problem> =>
  formatter(issue).issues.map((found) => {
    const path = formatPath([...prefix, ...(found.path ?? [])]);
    return { path, message: sentence(path, found.message) };
  });

/** One sentence for several problems: the first in full, the rest named by path. */
export const summarize = (problems: ReadonlyArray<Problem>): Problem => {
  // A field failing two checks (e.g. finite, then range) is one problem.
  const seen = new Set<string>();
  const distinct = problems.filter((problem) => {
    if (seen.has(problem.path)) return false;
    seen.add(problem.path);
    return true;
  });
  const [first, ...rest] = distinct;
  if (first === undefined) return { path: "", message: "invalid message" };
  if (rest.length === 0) return first;
  const others = rest.slice(0, 5).map((problem) => problem.path || "(message)");
  const more = rest.length > others.length ? ", …" : "";
  return {
    path: first.path,
    message: truncate(`${first.message} (and ${rest.length} more: ${others.join(", ")}${more})`, 2 * MAX_MESSAGE_CHARS)
  };
};
