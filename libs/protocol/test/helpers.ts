import { Predicate, Result } from "effect";
import { type DecodeError, decodeMessage, type Message } from "../src/index.ts";

/** Decodes and returns the message, failing the test with the decoder's own words otherwise. */
export const decodeOk = (input: Uint8Array | string): Message => {
  const result = decodeMessage(input);
  if (Result.isFailure(result)) throw new Error(`expected a message, got ${result.failure.reason}: ${result.failure.message}`);
  return result.success;
};

/** Decodes and returns the error, failing the test if the input was accepted. */
export const decodeErr = (input: Uint8Array | string): DecodeError => {
  const result = decodeMessage(input);
  if (Result.isSuccess(result)) throw new Error(`expected a DecodeError, got ${JSON.stringify(result.success)}`);
  return result.failure;
};

/** A field's place in a JSON tree: object keys and array indexes. */
export type JsonPath = ReadonlyArray<string | number>;

/** What to do at a path: replace the value, or delete the key / array element. */
export type JsonEdit = { readonly set: unknown } | "delete";

const childOf = (node: unknown, step: string | number): unknown => {
  if (Array.isArray(node) && typeof step === "number") return node[step];
  if (Predicate.isObject(node) && typeof step === "string") return node[step];
  return undefined;
};

/** The value at a path of a parsed JSON tree, or undefined. */
export const nodeAt = (root: unknown, path: JsonPath): unknown => path.reduce<unknown>(childOf, root);

/** Applies one edit to a parsed JSON tree in place; false when the path does not exist. */
export const applyEdit = (root: unknown, path: JsonPath, edit: JsonEdit): boolean => {
  const key = path[path.length - 1];
  const parent = nodeAt(root, path.slice(0, -1));
  if (Array.isArray(parent) && typeof key === "number" && key < parent.length) {
    if (edit === "delete") parent.splice(key, 1);
    else parent[key] = edit.set;
    return true;
  }
  if (Predicate.isObject(parent) && typeof key === "string") {
    if (edit === "delete") delete parent[key];
    else parent[key] = edit.set;
    return true;
  }
  return false;
};

/** The wire JSON with one field replaced or removed, as a buggy sender would write it. */
export const editJson = (json: string, path: JsonPath, edit: JsonEdit): string => {
  const root: unknown = JSON.parse(json);
  if (!applyEdit(root, path, edit)) throw new Error(`no field at ${path.join(".")}`);
  return JSON.stringify(root);
};

/** Shorthand for replacing one field. */
export const withField = (json: string, path: JsonPath, value: unknown): string => editJson(json, path, { set: value });

/** Shorthand for removing one field. */
export const withoutField = (json: string, path: JsonPath): string => editJson(json, path, "delete");

/** Every path in a JSON tree (not the root), parents before children. */
export const pathsOf = (node: unknown, prefix: JsonPath = []): Array<JsonPath> => {
  const entries: Array<readonly [string | number, unknown]> = Array.isArray(node)
    ? node.map((value, index) => [index, value] as const)
    : Predicate.isObject(node)
      ? Object.entries(node)
      : [];
  return entries.flatMap(([key, value]) => [[...prefix, key], ...pathsOf(value, [...prefix, key])]);
};
