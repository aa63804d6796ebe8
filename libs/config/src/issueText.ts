import { Predicate, type SchemaIssue } from "effect";
import { closestKey, redactUrl, renderValue } from "./wording.ts";

// Turns the first schema issue of a decode into words. The schema's own
// messages ("Expected number") do not say what the field wants, so the words
// come from the app's FieldDoc, found by walking the issue's path through it.

/**
 * What each field expects, in words, for error messages. Shaped like the
 * settings schema (`fields` for a struct, `entries` for a record); an app
 * types its docs against its schema's field names so the two cannot drift.
 */
export interface FieldDoc {
  readonly expected: string;
  readonly fields?: Readonly<Record<string, FieldDoc>>;
  readonly entries?: { readonly key: string; readonly value: FieldDoc };
}

/** Top-level fields whose values are never quoted as given: URLs lose their password, secrets are hidden whole. */
export interface Redaction {
  readonly urls: ReadonlyArray<string>;
  readonly secrets: ReadonlyArray<string>;
}

/** How a value is quoted in a message: a secret never, a URL without its password, whatever their characters. */
export const quoteValue = (field: PropertyKey | undefined, value: unknown, redaction: Redaction): string => {
  const name = String(field);
  if (redaction.secrets.includes(name) && value !== undefined) return "(hidden)";
  return redaction.urls.includes(name) && typeof value === "string" ? renderValue(redactUrl(value)) : renderValue(value);
};

/** Where the first problem is and what kind of leaf it is. */
export interface FirstLeaf {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly tag: SchemaIssue.Leaf["_tag"] | "AnyOf";
}

/** The first leaf of an issue tree (decoding runs with `errors: "first"`, so there is one). */
export const firstLeaf = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey> = []): FirstLeaf => {
  switch (issue._tag) {
    case "Pointer":
      return firstLeaf(issue.issue, [...path, ...issue.path]);
    case "Filter":
    case "Encoding":
      return firstLeaf(issue.issue, path);
    case "Composite":
      return firstLeaf(issue.issues[0], path);
    case "AnyOf": {
      const [first] = issue.issues;
      return first === undefined ? { path, tag: "AnyOf" } : firstLeaf(first, path);
    }
    default:
      return { path, tag: issue._tag };
  }
};

/**
 * A problem located in the settings: `where` is the field it is reported at,
 * `text` says what is wrong, `expected` what that field takes.
 */
export interface Located {
  readonly where: ReadonlyArray<PropertyKey>;
  readonly text: string;
  readonly expected: string;
}

const lookup = (fields: Readonly<Record<string, FieldDoc>>, key: string): FieldDoc | undefined =>
  Object.hasOwn(fields, key) ? fields[key] : undefined;

const unknownKey = (key: string, known: ReadonlyArray<string>): string => {
  const suggestion = closestKey(key, known);
  return suggestion === undefined
    ? `unknown key; expected one of ${known.join(", ")}`
    : `unknown key; did you mean ${suggestion}?`;
};

/** The value at `path` in the decoded input, or undefined. */
export const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>((value, key) => {
    if (Array.isArray(value) && typeof key === "number") return value[key];
    if (Predicate.isObject(value) && typeof key === "string" && Object.hasOwn(value, key)) return value[key];
    return undefined;
  }, input);

/**
 * Says what is wrong at a leaf. A problem inside a field the docs treat as one
 * value (an element of `command`) is reported at that field. `valueOf` gives
 * the value to quote for a field path (the raw text when it came from env).
 */
export const describeLeaf = (
  leaf: FirstLeaf,
  root: FieldDoc,
  redaction: Redaction,
  valueOf: (where: ReadonlyArray<PropertyKey>) => unknown
): Located => {
  let doc = root;
  let depth = 0;
  for (; depth < leaf.path.length; depth++) {
    const key = String(leaf.path[depth]);
    const where = leaf.path.slice(0, depth + 1);
    if (doc.fields !== undefined) {
      const next = lookup(doc.fields, key);
      if (next === undefined) return { where, text: unknownKey(key, Object.keys(doc.fields)), expected: doc.expected };
      doc = next;
    } else if (doc.entries !== undefined) {
      if (leaf.tag === "UnexpectedKey" && depth === leaf.path.length - 1) {
        return { where, text: `invalid name; expected ${doc.entries.key}`, expected: doc.entries.key };
      }
      doc = doc.entries.value;
    } else break;
  }
  const where = leaf.path.slice(0, depth);
  const expected = doc.expected;
  if (leaf.tag === "MissingKey" && depth === leaf.path.length) return { where, text: `missing; expected ${expected}`, expected };
  return { where, text: `expected ${expected}, got ${quoteValue(where[0], valueOf(where), redaction)}`, expected };
};
