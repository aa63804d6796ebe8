import { Cause, Predicate } from "effect";

// How values, paths and causes are written into the one-line messages of
// InvalidConfig. Everything that quotes input goes through here, so nothing
// multi-line, overlong or secret reaches the terminal.

const MAX_VALUE_CHARS = 80;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `tasks.transcode.command`; odd keys as `tasks["a b"]`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    const name = String(key);
    if (IDENTIFIER.test(name)) return out === "" ? name : `${out}.${name}`;
    return `${out}[${JSON.stringify(name)}]`;
  }, "");

const truncate = (text: string): string => (text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS - 1)}…`);

const json = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined; // a cycle made with YAML anchors
  }
};

/** The offending value as the message quotes it: `"abc"`, `-1`, `NaN`, `[]`, `null`. */
export const renderValue = (value: unknown): string => {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value); // JSON would write NaN as null
  return truncate(json(value) ?? (Array.isArray(value) ? "a list" : "a mapping"));
};

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Hides the password of a URL as `***`. Works on text that does not parse as
 * a URL too (that is when it gets quoted in an error): the userinfo is what
 * lies between the scheme and the last `@`, the password what follows its
 * first `:`.
 */
export const redactUrl = (text: string): string => {
  const at = text.lastIndexOf("@");
  if (at < 0) return text;
  const start = SCHEME.exec(text)?.[0].length ?? 0;
  const colon = text.indexOf(":", start);
  if (colon < 0 || colon > at) return text;
  return `${text.slice(0, colon + 1)}***${text.slice(at)}`;
};

const normalize = (key: string): string => key.toLowerCase().replace(/[-_\s]/g, "");

const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
};

/**
 * The known key an unknown one was probably meant to be: the same letters in
 * another case or separator style (`HEARTBEAT_INTERVAL_SECONDS`,
 * `maxConcurrentWork`), a prefix of it (`heartbeat_interval`), or a small typo.
 */
export const closestKey = (unknown: string, known: ReadonlyArray<string>): string | undefined => {
  const typed = normalize(unknown);
  if (typed.length === 0) return undefined;
  const scored = known.map((key) => {
    const candidate = normalize(key);
    if (candidate === typed) return { key, score: 0 };
    if (typed.length >= 4 && (candidate.startsWith(typed) || typed.startsWith(candidate))) return { key, score: 1 };
    const edits = distance(typed, candidate);
    return { key, score: edits <= Math.max(1, Math.floor(typed.length / 4)) ? 1 + edits : Infinity };
  });
  const best = scored.reduce((a, b) => (b.score < a.score ? b : a), { key: "", score: Infinity });
  return best.score === Infinity ? undefined : best.key;
};

/** What went wrong with an I/O call, in one line (Effect.tryPromise wraps the Node error it caught). */
export const causeText = (error: unknown): string => {
  const inner = Cause.isUnknownError(error) && error.cause !== undefined ? error.cause : error;
  const text =
    Predicate.hasProperty(inner, "message") && typeof inner.message === "string" ? inner.message : String(inner);
  return text.replace(/\s*\n\s*/g, " ").trim();
};
