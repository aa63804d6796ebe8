import fc from "fast-check";
import { type JsonEdit, type JsonPath, pathsOf } from "./helpers.ts";

// Generators shared by the property tests: values no valid message holds,
// and edits of valid messages.

/** Values that are wrong for almost any field: edge numbers, odd strings, unstorable text, any small JSON. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, -1, -0.0001, 0, 1.5, 101, 1e21, 1e308, -1e308, true, false, [], {}),
  fc.constantFrom<unknown>("", "NaN", "Infinity", "-1", "null", "\u0000", "x".repeat(300), "2025-13-01T00:00:00Z", "../../etc"),
  fc.string(),
  fc.jsonValue({ maxDepth: 2 })
);

/** Drop a field, or set it to garbage. */
export const edit: fc.Arbitrary<JsonEdit> = fc.oneof(fc.constant<JsonEdit>("delete"), garbage.map((value): JsonEdit => ({ set: value })));

/**
 * One of the valid `bases` (as wire JSON) with a path chosen in it.
 * Properties parse their own copy to edit, so generated values stay
 * untouched and fast-check can replay and shrink them.
 */
export const basePathOf = (bases: ReadonlyArray<string>): fc.Arbitrary<{ readonly wire: string; readonly path: JsonPath }> =>
  fc.record({ base: fc.nat(bases.length - 1), pick: fc.nat() }).map(({ base, pick }) => {
    const wire = bases[base] ?? "";
    const paths = pathsOf(JSON.parse(wire));
    return { wire, path: paths[pick % paths.length] ?? [] };
  });

export const parsed = (wire: string): unknown => JSON.parse(wire);
