/**
 * Pre-encoded JSON with fixed-width slots, for a load generator that must not
 * spend its CPU encoding: a message is encoded once (by the real encoder), the
 * values that change per message are rewritten as fixed-width fields, and each
 * message is a copy of those bytes with new values written at known offsets.
 *
 * - numbers are right-aligned and padded with leading spaces (JSON allows
 *   whitespace before a value): `"seq":        42`;
 * - strings keep their length (a UUID is always 36 characters, an ISO time
 *   from Date#toISOString 24), written between the template's own quotes.
 *
 * A value that does not fit its slot throws (RangeError): it never produces
 * bytes that are not JSON, or a number other than the one asked for.
 */
import { isDeepStrictEqual } from "node:util";

/** `int`: a non-negative integer; `hundredths`: a non-negative number written with 2 decimals; `text`: an ASCII string of exactly `width` characters. */
export type SlotKind = "int" | "hundredths" | "text";

export interface SlotSpec {
  /** Where the value is in the message, e.g. ["payload", "resources", "gpus", 1, "vram_used_gb"]. */
  readonly path: ReadonlyArray<string | number>;
  readonly kind: SlotKind;
  /** Characters of the slot (for `text`: of the string, without its quotes). */
  readonly width: number;
}

/** A class, not object literals: every slot then has one hidden class, and the per-message writes stay monomorphic (several times faster). */
export class Slot {
  constructor(
    readonly name: string,
    readonly kind: SlotKind,
    /** Byte offset of the slot's first character in the template. */
    readonly offset: number,
    readonly width: number,
    /** For int slots: the first value that does not fit (10^width); for hundredths: the same in hundredths; for text: the width. */
    readonly limit: number
  ) {}
}

export interface WireTemplate {
  /** The template's bytes (UTF-8 JSON); every slot holds the value the message was encoded with. */
  readonly bytes: Buffer;
  /** The slots, in the order of the specs. */
  readonly slots: ReadonlyArray<Slot>;
}

const SPACE = 0x20;
const DOT = 0x2e;
const ZERO = 0x30;

const pathName = (path: ReadonlyArray<string | number>): string =>
  path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "");

const valueAt = (value: unknown, path: ReadonlyArray<string | number>): unknown =>
  path.reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[key] : undefined), value);

/**
 * Where the value at `path` starts and ends in compact JSON (as JSON.stringify
 * writes it). Keys are found by searching `"key":` in order; an array index n
 * means the (n+1)-th occurrence of the next key after the array's own key.
 * The caller checks the result (makeWireTemplate re-parses the template).
 */
const locate = (json: string, path: ReadonlyArray<string | number>): { start: number; end: number } => {
  let from = 0;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (typeof key === "number") continue; // applied to the next key
    const previous = path[i - 1];
    const occurrences = typeof previous === "number" ? previous + 1 : 1;
    const needle = `${JSON.stringify(key)}:`;
    for (let n = 0; n < occurrences; n++) {
      const at = json.indexOf(needle, from);
      if (at < 0) throw new Error(`wire template: ${pathName(path)} not found`);
      from = at + needle.length;
    }
  }
  const start = from;
  let end = start;
  if (json[start] === '"') {
    end = json.indexOf('"', start + 1) + 1;
    if (end <= 0) throw new Error(`wire template: unterminated string at ${pathName(path)}`);
  } else {
    while (end < json.length && !",}]".includes(json[end] as string)) end += 1;
  }
  return { start, end };
};

const limitOf = (kind: SlotKind, width: number): number =>
  kind === "int" ? 10 ** width : kind === "hundredths" ? 10 ** (width - 3) * 100 : width;

/** The text a value takes in its slot, padded (numbers) or checked (strings). */
const slotText = (slot: Slot, value: unknown): string => {
  const buf = Buffer.alloc(slot.width);
  const at0 = new Slot(slot.name, slot.kind, 0, slot.width, slot.limit);
  if (slot.kind === "text") {
    if (typeof value !== "string") throw new RangeError(`wire template: ${slot.name} is not a string`);
    writeText(buf, at0, value);
  } else {
    if (typeof value !== "number") throw new RangeError(`wire template: ${slot.name} is not a number`);
    if (slot.kind === "int") writeInt(buf, at0, value);
    else writeHundredths(buf, at0, Math.round(value * 100));
  }
  return buf.toString("latin1");
};

/**
 * The template of `json` (compact JSON, e.g. from the protocol's
 * encodeMessageString) with a slot for each spec. Checks that the template
 * parses to exactly the value `json` parses to, and that each slot is where
 * its path says (by writing a probe value into it and parsing again).
 */
export const makeWireTemplate = (json: string, specs: ReadonlyArray<SlotSpec>): WireTemplate => {
  const original: unknown = JSON.parse(json);
  const located = specs
    .map((spec, index) => ({ spec, index, ...locate(json, spec.path) }))
    .sort((x, y) => x.start - y.start);
  let text = "";
  let cursor = 0;
  const slots: Array<Slot | undefined> = Array.from({ length: specs.length }, () => undefined);
  for (const { spec, index, start, end } of located) {
    if (start < cursor) throw new Error(`wire template: slots overlap at ${pathName(spec.path)}`);
    const name = pathName(spec.path);
    const isString = spec.kind === "text";
    const value = valueAt(original, spec.path);
    text += json.slice(cursor, isString ? start + 1 : start);
    const slot = new Slot(name, spec.kind, Buffer.byteLength(text, "utf8"), spec.width, limitOf(spec.kind, spec.width));
    text += slotText(slot, value);
    cursor = isString ? end - 1 : end;
    slots[index] = slot;
  }
  text += json.slice(cursor);
  const bytes = Buffer.from(text, "utf8");
  if (!isDeepStrictEqual(JSON.parse(text), original)) {
    throw new Error("wire template: the template does not parse to the encoded message");
  }
  const done = slots as Array<Slot>;
  // Probe each slot: a different value written there must appear at its path, and nowhere else.
  const probe = Buffer.from(bytes);
  const expected = JSON.parse(text) as Record<string, unknown>;
  done.forEach((slot, i) => {
    const path = (specs[i] as SlotSpec).path;
    const value = slot.kind === "text" ? "x".repeat(slot.width) : slot.kind === "int" ? slot.limit - 1 : (slot.limit - 1) / 100;
    probe.write(slotText(slot, value), slot.offset, "latin1");
    let parent: unknown = expected;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
    (parent as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
  });
  if (!isDeepStrictEqual(JSON.parse(probe.toString("utf8")), expected)) {
    throw new Error("wire template: a slot is not where its path says");
  }
  return { bytes, slots: done };
};

// Digits are taken with v - 10 * floor(v / 10), not v % 10: the values are
// often doubles to V8 (Math.round's results), and % on doubles is a call to
// fmod, several times slower than the rest of a write.

/** Writes the digits of a non-negative integer right-aligned, ending at `end`; returns the position before its first digit. */
const writeDigits = (buf: Buffer, end: number, value: number): number => {
  let p = end;
  let v = value;
  do {
    const q = Math.floor(v / 10);
    buf[p--] = ZERO + (v - q * 10);
    v = q;
  } while (v > 0);
  return p;
};

/** Writes a non-negative integer right-aligned in its slot; throws if it is not one or does not fit. */
export const writeInt = (buf: Buffer, slot: Slot, value: number): void => {
  if (!(value >= 0 && value < slot.limit && Number.isInteger(value))) {
    throw new RangeError(`${slot.name} = ${value} does not fit its ${slot.width}-character slot (an integer from 0 to ${slot.limit - 1})`);
  }
  let p = writeDigits(buf, slot.offset + slot.width - 1, value);
  while (p >= slot.offset) buf[p--] = SPACE;
};

/** Writes hundredths (an integer: 1234 → "12.34") right-aligned in its slot; throws if it does not fit. */
export const writeHundredths = (buf: Buffer, slot: Slot, hundredths: number): void => {
  if (!(hundredths >= 0 && hundredths < slot.limit && Number.isInteger(hundredths))) {
    throw new RangeError(`${slot.name} = ${hundredths / 100} does not fit its ${slot.width}-character slot (0 to ${(slot.limit - 1) / 100})`);
  }
  const end = slot.offset + slot.width - 1;
  const units = Math.floor(hundredths / 100);
  const cents = hundredths - units * 100;
  const tens = Math.floor(cents / 10);
  buf[end] = ZERO + (cents - tens * 10);
  buf[end - 1] = ZERO + tens;
  buf[end - 2] = DOT;
  let p = writeDigits(buf, end - 3, units);
  while (p >= slot.offset) buf[p--] = SPACE;
};

/** Writes a string of exactly the slot's width (printable ASCII, nothing JSON would escape); throws otherwise. */
export const writeText = (buf: Buffer, slot: Slot, value: string): void => {
  const width = slot.width;
  if (value.length !== width) throw new RangeError(`${slot.name} = ${JSON.stringify(value)} is not ${width} characters`);
  // Checked first, written after: a refused value leaves the buffer as it was.
  for (let i = 0; i < width; i++) {
    const c = value.charCodeAt(i);
    // 0x22 '"' and 0x5c '\\' would need escaping; below 0x20 and above 0x7e: not plain ASCII.
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      throw new RangeError(`${slot.name} = ${JSON.stringify(value)} is not ${width} plain ASCII characters`);
    }
  }
  const offset = slot.offset;
  for (let i = 0; i < width; i++) buf[offset + i] = value.charCodeAt(i);
};
