import { formatPath } from "./problems.ts";

// Text PostgreSQL cannot store: it refuses U+0000 in text and jsonb, and a
// lone UTF-16 surrogate has no UTF-8 form (jsonb refuses its `\uD800`
// escape; a text parameter would silently become U+FFFD). Such text only
// reaches a parsed message through JSON escapes, so the check is on values.

const UNSTORABLE = /[\u0000\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or undefined when it can. */
export const unstorableText = (text: string): string | undefined => {
  // One cheap test for the common case: no NUL and no surrogate at all.
  if (!UNSTORABLE.test(text)) return undefined;
  if (text.includes("\u0000")) return "contains a NUL character (\\u0000), which cannot be stored";
  if (LONE_SURROGATE.test(text)) return "contains an unpaired UTF-16 surrogate, which has no UTF-8 form";
  return undefined;
};

/** The first string (or object key) in `value` that cannot be stored: its path and why. */
export const findUnstorableText = (
  value: unknown,
  path: Array<string | number> = []
): { readonly path: string; readonly problem: string } | undefined => {
  if (typeof value === "string") {
    const problem = unstorableText(value);
    return problem === undefined ? undefined : { path: formatPath(path), problem };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const found = findUnstorableText(value[i], path);
      path.pop();
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      path.push(key);
      const keyProblem = unstorableText(key);
      const found = keyProblem === undefined ? findUnstorableText(inner, path) : { path: formatPath(path), problem: `its name ${keyProblem}` };
      path.pop();
      if (found !== undefined) return found;
    }
  }
  return undefined;
};

const REPLACEMENT = "\uFFFD";
const UNSTORABLE_ALL = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` as the orchestrator will store it: NUL and unpaired surrogates
 * replaced by U+FFFD, and at most `maxChars` UTF-16 units (never cutting a
 * surrogate pair). For senders: what they send is then never refused for
 * its text.
 */
export const toStorableText = (text: string, maxChars: number = Number.POSITIVE_INFINITY): string => {
  const clean = UNSTORABLE.test(text) ? text.replace(UNSTORABLE_ALL, REPLACEMENT) : text;
  if (clean.length <= maxChars) return clean;
  const end = /[\uD800-\uDBFF]/.test(clean.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
  return clean.slice(0, end);
};
