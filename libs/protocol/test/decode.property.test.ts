import { Predicate, Result } from "effect";
import fc from "fast-check";
import {
  DecodeError,
  DecodeReason,
  decodeMessage,
  encodeMessage,
  encodeMessageString,
  type Message,
  MESSAGE_TYPES
} from "../src/index.ts";
import { validWireMessages } from "./fixtures.ts";
import { basePathOf, edit, garbage, parsed } from "./arbitraries.ts";
import { applyEdit, decodeOk, type JsonPath, nodeAt, pathsOf } from "./helpers.ts";
import * as samples from "./samples.ts";

// Decoding is the orchestrator's first line: whatever arrives, it must answer
// with a message or a reason, never throw. 15,000 runs in all.

const REASONS: ReadonlyArray<string> = DecodeReason.literals;

/**
 * The property every input must satisfy, as a plain check (Jest's `expect`
 * would cost more than the decoding it checks): an accepted message survives
 * its own encoding unchanged; a refusal is a DecodeError with a known reason
 * and a non-empty message.
 */
const answersCleanly = (result: Result.Result<Message, DecodeError>): boolean => {
  if (Result.isSuccess(result)) {
    const again = decodeMessage(encodeMessage(result.success));
    return Result.isSuccess(again) && JSON.stringify(again.success) === JSON.stringify(result.success);
  }
  const error = result.failure;
  return error instanceof DecodeError && REASONS.includes(error.reason) && typeof error.path === "string" && error.message.length > 0;
};

const decodesCleanly = (input: Uint8Array | string): boolean => answersCleanly(decodeMessage(input));

const bases: ReadonlyArray<string> = [
  ...validWireMessages,
  ...[samples.heartbeat, samples.workRequest, samples.workResult, samples.shutdown].map(encodeMessageString)
];

// Fields a valid message may lack: optional ones, params entries, and the
// extra fields the hand-written messages carry.
const OPTIONAL = new Set(["correlation_id", "pool_name"]);
const EXTRAS = new Set(["trace_id", "python_version", "power_draw_w", "code", "duration_s", "priority", "signal"]);
const mayBeDropped = (path: JsonPath): boolean => {
  const key = path[path.length - 1];
  const parent = path[path.length - 2];
  return typeof key === "number" || OPTIONAL.has(String(key)) || EXTRAS.has(String(key)) || parent === "requirements" || parent === "params";
};

const dotted = (path: JsonPath): string =>
  path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out === "" ? key : `${out}.${key}`), "");

const basePath = basePathOf(bases);

const codeUnitString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) });

describe("decodeMessage never throws and always answers", () => {
  it("answers arbitrary bytes (3,000 runs)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodesCleanly(bytes)), { numRuns: 3000 });
  });

  it("answers arbitrary strings, lone surrogates included (1,000 runs)", () => {
    fc.assert(fc.property(fc.oneof(codeUnitString, fc.string({ unit: "binary" })), (text) => decodesCleanly(text)), {
      numRuns: 1000
    });
  });

  it("answers arbitrary JSON values (2,000 runs)", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => decodesCleanly(JSON.stringify(value) ?? "null")), { numRuns: 2000 });
  });

  it("answers envelopes of every type carrying arbitrary payloads (1,000 runs)", () => {
    const envelope = fc.record({
      message_id: fc.uuid(),
      type: fc.constantFrom(...MESSAGE_TYPES),
      version: fc.constant(1),
      sent_at: fc.constant("2025-03-01T12:00:00Z"),
      sender: fc.constantFrom("gaming-pc", "orchestrator"),
      payload: fc.jsonValue({ maxDepth: 3 })
    });
    fc.assert(fc.property(envelope, (value) => decodesCleanly(JSON.stringify(value))), { numRuns: 1000 });
  });

  it("answers valid messages with one field dropped or replaced by garbage (5,000 runs)", () => {
    fc.assert(
      fc.property(basePath, edit, ({ wire, path }, change) => {
        const root = parsed(wire);
        applyEdit(root, path, change);
        const result = decodeMessage(JSON.stringify(root));
        if (!answersCleanly(result)) return false;
        if (change !== "delete") return true;
        // A GPU dropped from the list leaves gpu_count (and the sums) disagreeing with it.
        if (path[path.length - 2] === "gpus" && typeof path[path.length - 1] === "number") {
          return Result.isFailure(result) && result.failure.path === "payload.resources.gpu_count";
        }
        // A required field's absence is reported at exactly that field.
        return mayBeDropped(path) ? Result.isSuccess(result) : Result.isFailure(result) && result.failure.path === dotted(path);
      }),
      { numRuns: 5000 }
    );
  });

  it("ignores an unknown field added anywhere, decoding to the same message (1,000 runs)", () => {
    const target = basePath.filter(({ wire, path }) => {
      const node = nodeAt(parsed(wire), path);
      return Predicate.isObject(node) && path[path.length - 1] !== "params";
    });
    fc.assert(
      fc.property(target, fc.string({ minLength: 1, maxLength: 12 }), garbage, ({ wire, path }, name, value) => {
        const root = parsed(wire);
        applyEdit(root, [...path, `x_future_${name}`], { set: value });
        const decoded = decodeMessage(JSON.stringify(root));
        return Result.isSuccess(decoded) && JSON.stringify(decoded.success) === JSON.stringify(decodeOk(wire));
      }),
      { numRuns: 1000 }
    );
  });

  it("answers valid messages with several fields mangled at once (1,000 runs)", () => {
    fc.assert(
      fc.property(basePath, fc.array(fc.tuple(fc.nat(), edit), { minLength: 2, maxLength: 5 }), ({ wire }, changes) => {
        const root = parsed(wire);
        for (const [pick, change] of changes) {
          const paths = pathsOf(root);
          const path = paths[pick % Math.max(paths.length, 1)];
          if (path !== undefined) applyEdit(root, path, change);
        }
        return decodesCleanly(JSON.stringify(root));
      }),
      { numRuns: 1000 }
    );
  });

  it("answers valid message bytes that were cut short or had one byte changed (1,000 runs)", () => {
    const damage = fc.record({ base: fc.nat(bases.length - 1), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() });
    fc.assert(
      fc.property(damage, ({ base, at, byte, cut }) => {
        const bytes = new TextEncoder().encode(bases[base] ?? "");
        const index = at % bytes.length;
        if (cut) return decodesCleanly(bytes.subarray(0, index));
        bytes[index] = byte;
        return decodesCleanly(bytes);
      }),
      { numRuns: 1000 }
    );
  });
});
