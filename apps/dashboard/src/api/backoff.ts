/** First reconnect delay; it doubles each failed try. */
export const RECONNECT_FIRST_MS = 1000;
/** The longest wait between tries. */
export const RECONNECT_MAX_MS = 15000;

/** Delay before reconnect try `attempt` (0-based): 1 s, 2 s, 4 s, 8 s, then 15 s. */
export const reconnectDelayMs = (attempt: number): number =>
  Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.max(0, Math.min(attempt, 30)));
