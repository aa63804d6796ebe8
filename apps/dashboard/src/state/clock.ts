// Heartbeat ages are measured on the server's clock: each event carries the
// server's `now`, and offset = server now − local now at receipt. Ages then
// stay right on a machine whose clock is off.

/** Server clock minus local clock in ms, or null when `serverNowIso` does not parse. */
export const serverOffsetMs = (serverNowIso: string, receivedAtMs: number): number | null => {
  const server = Date.parse(serverNowIso);
  return Number.isNaN(server) ? null : server - receivedAtMs;
};

export interface Timers {
  readonly now: () => number;
  readonly setInterval: (fn: () => void, ms: number) => unknown;
  readonly clearInterval: (handle: unknown) => void;
}

/**
 * One clock for every live age on the page: one interval, started by the
 * first subscriber and stopped with the last, so 500 cards do not each run
 * a timer; each tick only re-renders the small age texts.
 */
export interface Ticker {
  /** Now on the server's clock, in ms. */
  serverNow(): number;
  setOffset(offsetMs: number): void;
  subscribe(listener: () => void): () => void;
}

export const createTicker = (timers: Timers, intervalMs = 1000): Ticker => {
  let offset = 0;
  let handle: unknown = null;
  const listeners = new Set<() => void>();
  const tick = (): void => listeners.forEach((l) => l());
  return {
    serverNow: () => timers.now() + offset,
    setOffset(ms) {
      offset = ms;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (handle === null) handle = timers.setInterval(tick, intervalMs);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && handle !== null) {
          timers.clearInterval(handle);
          handle = null;
        }
      };
    }
  };
};
