// The API token and whether the page must ask for one. A 401 on any request
// means the token is missing or wrong: a stored one is forgotten and the
// token form shows (once, however many requests failed).

/** Where the token is kept between visits. */
export const TOKEN_KEY = "homelab.apiToken";

/** The part of localStorage the session uses (a stand-in in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Session {
  token(): string | null;
  needsToken(): boolean;
  /** A request was answered 401: forget the stored token and ask for one. */
  unauthorized(): void;
  /** The user gave a token: keep it and stop asking. */
  provideToken(token: string): void;
  /** Called on every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export const createSession = (storage: KeyValueStorage | null): Session => {
  // Storage can throw (private windows, disabled storage): then the token lives only as long as the page.
  const read = (): string | null => {
    try {
      return storage?.getItem(TOKEN_KEY) ?? null;
    } catch {
      return null;
    }
  };
  let token: string | null = read();
  let asking = false;
  const listeners = new Set<() => void>();
  const changed = (): void => listeners.forEach((l) => l());

  return {
    token: () => token,
    needsToken: () => asking,
    unauthorized() {
      if (asking && token === null) return;
      token = null;
      asking = true;
      try {
        storage?.removeItem(TOKEN_KEY);
      } catch {
        // nothing stored to forget
      }
      changed();
    },
    provideToken(value) {
      token = value.trim();
      asking = false;
      try {
        storage?.setItem(TOKEN_KEY, token);
      } catch {
        // kept in memory only
      }
      changed();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }
  };
};

/** The headers every request carries: the bearer token when there is one. */
export const authHeaders = (token: string | null): Record<string, string> =>
  token === null || token === "" ? {} : { Authorization: `Bearer ${token}` };
