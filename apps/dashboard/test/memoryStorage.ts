import type { KeyValueStorage } from "../src/api/session.ts";

/** localStorage for tests. */
export const memoryStorage = (initial: Record<string, string> = {}): KeyValueStorage & { readonly data: Map<string, string> } => {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k)
  };
};
