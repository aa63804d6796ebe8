import { reconnectDelayMs } from "./backoff.ts";
import type { FetchLike } from "./http.ts";
import { authHeaders, type Session } from "./session.ts";
import { createSseParser, type SseFrame } from "./sseParser.ts";

export type StreamStatus = "connecting" | "live" | "reconnecting" | "needs-token";

/**
 * With no bytes for this long (not even a keep-alive comment) the connection
 * is taken for dead and made again: a half-open TCP connection would
 * otherwise show "live" forever.
 */
export const STREAM_IDLE_TIMEOUT_MS = 60_000;

export interface EventStreamOptions {
  readonly fetch: FetchLike;
  readonly session: Session;
  /** The frames one read completed (at least one), with the local time they arrived (for the server clock offset). */
  readonly onFrames: (frames: ReadonlyArray<SseFrame>, receivedAtMs: number) => void;
  readonly onStatus: (status: StreamStatus, detail: string | null) => void;
  /** Waits `ms`, or less when `signal` aborts (tests pass one that records the delays). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly idleTimeoutMs?: number;
  readonly now?: () => number;
  readonly path?: string;
}

export interface EventStream {
  /** Drops the connection (or the wait) and connects again at once, e.g. after a new token. */
  restart(): void;
  stop(): void;
  /** Settles when the loop has ended after stop(). */
  readonly done: Promise<void>;
}

type Outcome =
  | { readonly kind: "unauthorized" }
  | { readonly kind: "closed"; readonly gotSnapshot: boolean; readonly detail: string };

const realSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

const describe = (e: unknown): string => (e instanceof Error ? e.message : "connection failed");

/**
 * Reads `/events` with fetch and reconnects when it ends or fails: 1 s, 2 s,
 * 4 s… up to 15 s between tries, back to 1 s once a connection delivered its
 * snapshot. A 401 stops the loop until restart() (the token form).
 */
export const startEventStream = (options: EventStreamOptions): EventStream => {
  const sleep = options.sleep ?? realSleep;
  const idleMs = options.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const path = options.path ?? "/events";
  let stopped = false;
  // Aborting `wake` ends the current connection or wait; a fresh one is made for each step.
  let wake = new AbortController();
  let restarted = false;

  const connectOnce = async (signal: AbortSignal): Promise<Outcome> => {
    const connection = new AbortController();
    const abort = (): void => connection.abort();
    signal.addEventListener("abort", abort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(abort, idleMs);
    };
    let gotSnapshot = false;
    try {
      armIdle();
      // Marks for the benchmark: where a first render's wait goes (request, first bytes, snapshot decoded in live.ts).
      globalThis.performance?.mark?.("homelab:feed-requested");
      const response = await options.fetch(path, {
        headers: { Accept: "text/event-stream", ...authHeaders(options.session.token()) },
        signal: connection.signal,
        cache: "no-store"
      });
      if (response.status === 401) {
        await response.body?.cancel().catch(() => undefined);
        return { kind: "unauthorized" };
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel().catch(() => undefined);
        return { kind: "closed", gotSnapshot, detail: `HTTP ${response.status}` };
      }
      const reader = response.body.getReader();
      const text = new TextDecoder();
      const parser = createSseParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return { kind: "closed", gotSnapshot, detail: "the server ended the stream" };
        if (!gotSnapshot) globalThis.performance?.mark?.("homelab:feed-bytes");
        armIdle();
        const frames = parser.push(text.decode(value, { stream: true }));
        if (frames.length === 0) continue;
        // All the frames of one read go over together, so the page applies them as one update.
        options.onFrames(frames, now());
        if (!gotSnapshot && frames.some((f) => f.event === "snapshot")) {
          gotSnapshot = true;
          options.onStatus("live", null);
        }
      }
    } catch (e) {
      return { kind: "closed", gotSnapshot, detail: connection.signal.aborted && !signal.aborted ? "no data for too long" : describe(e) };
    } finally {
      clearTimeout(idle);
      signal.removeEventListener("abort", abort);
      connection.abort();
    }
  };

  const loop = async (): Promise<void> => {
    let attempt = 0;
    let first = true;
    while (!stopped) {
      const signal = wake.signal;
      if (options.session.needsToken()) {
        options.onStatus("needs-token", null);
        await untilAborted(signal);
      } else {
        options.onStatus(first ? "connecting" : "reconnecting", null);
        first = false;
        const outcome = await connectOnce(signal);
        if (stopped) break;
        if (outcome.kind === "unauthorized") {
          options.session.unauthorized();
          continue; // the loop shows "needs token" and waits for restart()
        }
        if (outcome.gotSnapshot) attempt = 0;
        if (!signal.aborted) {
          const delay = reconnectDelayMs(attempt++);
          options.onStatus("reconnecting", `${outcome.detail}; trying again in ${Math.round(delay / 1000)} s`);
          await sleep(delay, signal);
        }
      }
      if (restarted) {
        restarted = false;
        attempt = 0;
      }
      if (signal.aborted) wake = new AbortController();
    }
  };

  const done = loop();
  return {
    restart() {
      restarted = true;
      wake.abort();
    },
    stop() {
      stopped = true;
      wake.abort();
    },
    done
  };
};
