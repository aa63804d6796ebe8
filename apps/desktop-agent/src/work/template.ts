import { Result } from "effect";

// Task kinds are argv templates: each element is literal text with `{name}`
// slots that a work request's params fill. `{{` and `}}` are literal braces.
// Expansion never joins or splits elements, so a value is always exactly one
// argv element (or part of one), whatever it holds: no shell ever reads it.

/** What a slot may be called: a letter or `_`, then letters, digits or `_`. */
export const SLOT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Part = { readonly _tag: "Text"; readonly text: string } | { readonly _tag: "Slot"; readonly name: string };

/** Splits one argv element into text and slots, or says what is wrong with it. */
const parseElement = (element: string): Result.Result<ReadonlyArray<Part>, string> => {
  const parts: Array<Part> = [];
  let text = "";
  let i = 0;
  while (i < element.length) {
    const ch = element[i];
    const next = element[i + 1];
    if (ch === "{" && next === "{") {
      text += "{";
      i += 2;
    } else if (ch === "}" && next === "}") {
      text += "}";
      i += 2;
    } else if (ch === "}") {
      return Result.fail("has a } that closes no slot; write }} for a literal }");
    } else if (ch === "{") {
      const close = element.indexOf("}", i + 1);
      if (close < 0) return Result.fail("has a { that is never closed; write {{ for a literal {");
      const name = element.slice(i + 1, close);
      if (!SLOT_NAME.test(name)) {
        return Result.fail(
          `has an invalid slot {${name}}: a slot name is a letter or _ followed by letters, digits or _ (write {{ and }} for literal braces)`
        );
      }
      if (text !== "") parts.push({ _tag: "Text", text });
      text = "";
      parts.push({ _tag: "Slot", name });
      i = close + 1;
    } else {
      text += ch;
      i += 1;
    }
  }
  if (text !== "") parts.push({ _tag: "Text", text });
  return Result.succeed(parts);
};

/** A problem in a command template, at `index` in its argv. */
export interface TemplateProblem {
  readonly index: number;
  readonly problem: string;
}

/**
 * The first problem in a command template, or undefined when it is valid.
 * Besides brace syntax: the program itself (element 0) may not hold a slot,
 * or a request could choose what runs.
 */
export const templateProblem = (command: ReadonlyArray<string>): TemplateProblem | undefined => {
  for (const [index, element] of command.entries()) {
    const parsed = parseElement(element);
    if (Result.isFailure(parsed)) return { index, problem: parsed.failure };
    if (index === 0 && parsed.success.some((p) => p._tag === "Slot")) {
      return { index, problem: "is the program to run, which cannot hold a slot; params may fill only its arguments" };
    }
  }
  return undefined;
};

/** The slot names of a command template, in order of first appearance. */
export const slotsOf = (command: ReadonlyArray<string>): ReadonlyArray<string> => {
  const names = new Set<string>();
  for (const element of command) {
    const parsed = parseElement(element);
    if (Result.isSuccess(parsed)) for (const p of parsed.success) if (p._tag === "Slot") names.add(p.name);
  }
  return [...names];
};

const quoteAll = (names: ReadonlyArray<string>): string => names.map((n) => `"${n}"`).join(", ");
const plural = (names: ReadonlyArray<string>, one: string, many: string): string => (names.length === 1 ? one : many);

/**
 * Fills a command template's slots with params: every slot needs a param and
 * every param a slot (an unused one is most likely a misspelt name). Values
 * go in verbatim, each element stays one element. Fails with a sentence
 * naming what is wrong, fit for a `rejected` result.
 */
export const expandCommand = (
  command: ReadonlyArray<string>,
  params: Readonly<Record<string, string>>
): Result.Result<ReadonlyArray<string>, string> => {
  const parsed: Array<ReadonlyArray<Part>> = [];
  for (const element of command) {
    const p = parseElement(element);
    if (Result.isFailure(p)) return Result.fail(`the task's command template is invalid: ${p.failure}`);
    parsed.push(p.success);
  }
  const slots = slotsOf(command);
  const takes = slots.length === 0 ? "the command takes no params" : `the command takes ${quoteAll(slots)}`;
  // Own keys only: a slot named "constructor" must not find Object.prototype's.
  const missing = slots.filter((name) => !Object.hasOwn(params, name));
  if (missing.length > 0) return Result.fail(`${plural(missing, "missing param", "missing params")} ${quoteAll(missing)}; ${takes}`);
  const unknown = Object.keys(params).filter((name) => !slots.includes(name));
  if (unknown.length > 0) return Result.fail(`${plural(unknown, "unknown param", "unknown params")} ${quoteAll(unknown)}; ${takes}`);
  const withNul = slots.filter((name) => params[name]?.includes("\0") === true);
  if (withNul.length > 0) return Result.fail(`param ${quoteAll(withNul)} holds a NUL character, which no argument can carry`);
  return Result.succeed(
    parsed.map((parts) => parts.map((p) => (p._tag === "Text" ? p.text : (params[p.name] ?? ""))).join(""))
  );
};
