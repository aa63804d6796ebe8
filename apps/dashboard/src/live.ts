import { decodeFrame } from "./api/decodeEvents.ts";
import { type EventStream, startEventStream, type StreamStatus } from "./api/eventStream.ts";
import { type Api, createApi, type FetchLike } from "./api/http.ts";
import { createSession, type KeyValueStorage, type Session } from "./api/session.ts";
import type { SseFrame } from "./api/sseParser.ts";
import { createTicker, serverOffsetMs, type Ticker, type Timers } from "./state/clock.ts";
import type { FleetEvent } from "./api/types.ts";
import { applyEvents, emptyFleet, type FleetState } from "./state/fleetState.ts";
import { addNotice, type Notice } from "./state/notices.ts";
import { createStore, type Store } from "./state/store.ts";

export interface Connection {
  readonly status: StreamStatus;
  readonly detail: string | null;
}

/** Everything the page shares: the session, the API, the live fleet from `/events`, and the clock. */
export interface Live {
  readonly session: Session;
  readonly api: Api;
  readonly ticker: Ticker;
  readonly fleet: Store<FleetState>;
  readonly connection: Store<Connection>;
  readonly notices: Store<ReadonlyArray<Notice>>;
  notify(message: string): void;
  dismissNotice(id: number): void;
  /** Applies frames of the event stream, in order, as one update (exposed for tests). */
  handleFrames(frames: ReadonlyArray<SseFrame>, receivedAtMs: number): void;
  /** Connects to `/events`; returns the function that disconnects. */
  connect(): () => void;
}

export interface LiveDeps {
  readonly fetch: FetchLike;
  readonly storage: KeyValueStorage | null;
  /** When to tell listeners about changes (an animation frame in the page). */
  readonly schedule: (flush: () => void) => void;
  readonly timers: Timers;
}

export const createLive = (deps: LiveDeps): Live => {
  const session = createSession(deps.storage);
  const api = createApi(deps.fetch, session);
  const ticker = createTicker(deps.timers);
  const fleet = createStore<FleetState>(emptyFleet, deps.schedule);
  const connection = createStore<Connection>({ status: "connecting", detail: null }, deps.schedule);
  const notices = createStore<ReadonlyArray<Notice>>([], deps.schedule);
  let nextNoticeId = 1;
  const notify = (message: string): void => notices.update((list) => addNotice(list, message, nextNoticeId++));

  const handleFrames = (frames: ReadonlyArray<SseFrame>, receivedAtMs: number): void => {
    const events: FleetEvent[] = [];
    for (const frame of frames) {
      const meaning = decodeFrame(frame);
      if (meaning.kind === "ignored") continue;
      if (meaning.kind === "malformed") {
        notify(meaning.message);
        continue;
      }
      events.push(meaning.event);
      const offset = serverOffsetMs(meaning.event.now, receivedAtMs);
      if (offset !== null) ticker.setOffset(offset);
      if (meaning.problems.length > 0) {
        const first = meaning.problems[0] ?? "";
        const more = meaning.problems.length > 1 ? ` (and ${meaning.problems.length - 1} more)` : "";
        notify(`${meaning.event.kind} event: ignored a malformed item: ${first}${more}`);
      }
    }
    // A mark per snapshot: the benchmark splits a first render into waiting for the data and drawing it.
    if (events.some((e) => e.kind === "snapshot")) globalThis.performance?.mark?.("homelab:snapshot-received");
    if (events.length > 0) fleet.update((state) => applyEvents(state, events));
  };

  const connect = (): (() => void) => {
    const stream: EventStream = startEventStream({
      fetch: deps.fetch,
      session,
      onFrames: handleFrames,
      onStatus: (status, detail) => connection.update(() => ({ status, detail }))
    });
    // A token given in the form reconnects at once instead of waiting out the backoff.
    const unsubscribe = session.subscribe(() => {
      if (!session.needsToken()) stream.restart();
    });
    return () => {
      unsubscribe();
      stream.stop();
    };
  };

  return {
    session,
    api,
    ticker,
    fleet,
    connection,
    notices,
    notify,
    dismissNotice: (id) => notices.update((list) => list.filter((n) => n.id !== id)),
    handleFrames,
    connect
  };
};
