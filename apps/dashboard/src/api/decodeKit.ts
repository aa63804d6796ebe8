// A few decoders for the server's JSON. The dashboard checks everything it
// reads from the wire, but pulling Effect's Schema into the browser bundle
// would cost more than the whole UI, so these are hand-written and small.

/** What a decoder throws: the path into the value and what it expected there. */
export class DecodeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string
  ) {
    super(`${path === "" ? "value" : path}: expected ${expected}`);
    this.name = "DecodeError";
  }
}

export type Decoder<T> = (value: unknown, path: string) => T;

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Runs a decoder; a DecodeError becomes `{ ok: false }` naming the path. */
export const decode = <T>(decoder: Decoder<T>, value: unknown, path = ""): Decoded<T> => {
  try {
    return { ok: true, value: decoder(value, path) };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e.message };
    throw e;
  }
};

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const object: Decoder<Record<string, unknown>> = (value, path) => {
  if (!isRecord(value)) throw new DecodeError(path, "an object");
  return value;
};

export const string: Decoder<string> = (value, path) => {
  if (typeof value !== "string") throw new DecodeError(path, "a string");
  return value;
};

export const number: Decoder<number> = (value, path) => {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new DecodeError(path, "a finite number");
  return value;
};

export const boolean: Decoder<boolean> = (value, path) => {
  if (typeof value !== "boolean") throw new DecodeError(path, "true or false");
  return value;
};

export const literal =
  <T extends string>(values: ReadonlyArray<T>): Decoder<T> =>
  (value, path) => {
    const found = values.find((v) => v === value);
    if (found === undefined) throw new DecodeError(path, `one of ${values.join(", ")}`);
    return found;
  };

/** null, or the field left out, is null. */
export const nullable =
  <T>(decoder: Decoder<T>): Decoder<T | null> =>
  (value, path) =>
    value === null || value === undefined ? null : decoder(value, path);

/** A field left out takes `fallback`; a field present must decode. */
export const withDefault =
  <T>(decoder: Decoder<T>, fallback: T): Decoder<T> =>
  (value, path) =>
    value === undefined ? fallback : decoder(value, path);

export const array =
  <T>(decoder: Decoder<T>): Decoder<ReadonlyArray<T>> =>
  (value, path) => {
    if (!Array.isArray(value)) throw new DecodeError(path, "an array");
    return value.map((item: unknown, i) => decoder(item, `${path}[${i}]`));
  };

/** An object whose every value decodes with `decoder`. */
export const dictionary =
  <T>(decoder: Decoder<T>): Decoder<Readonly<Record<string, T>>> =>
  (value, path) => {
    const o = object(value, path);
    const out: Record<string, T> = {};
    for (const [key, item] of Object.entries(o)) out[key] = decoder(item, `${path}.${key}`);
    return out;
  };

/** One field of an already-checked object. */
export const field = <T>(o: Record<string, unknown>, key: string, decoder: Decoder<T>, path: string): T =>
  decoder(o[key], path === "" ? key : `${path}.${key}`);

/**
 * Decodes each item on its own: one bad item is dropped (and named in
 * `errors`) instead of losing the whole list with it.
 */
export const eachOf = <T>(
  decoder: Decoder<T>,
  value: unknown,
  path: string
): { readonly items: ReadonlyArray<T>; readonly errors: ReadonlyArray<string> } => {
  if (!Array.isArray(value)) throw new DecodeError(path, "an array");
  const items: T[] = [];
  const errors: string[] = [];
  value.forEach((item: unknown, i) => {
    const result = decode(decoder, item, `${path}[${i}]`);
    if (result.ok) items.push(result.value);
    else errors.push(result.error);
  });
  return { items, errors };
};
