import {
  ACTIVE_STATES,
  type Agent,
  type AgentsEvent,
  type Booking,
  type FleetEvent,
  type QueuedWork,
  type SnapshotEvent,
  type Work,
  type WorkEvent
} from "../api/types.ts";
import { groupBookings } from "./bookings.ts";

/** How many finished jobs the page keeps (the newest). */
export const FINISHED_LIMIT = 50;

export interface FleetState {
  /** False until the first snapshot: the page shows "loading" instead of an empty fleet. */
  readonly loaded: boolean;
  readonly heartbeatTimeoutSeconds: number | null;
  readonly agents: ReadonlyMap<string, Agent>;
  readonly bookings: ReadonlyArray<Booking>;
  readonly bookingsByAgent: ReadonlyMap<string, ReadonlyArray<Booking>>;
  /** pending, dispatched and running jobs by work_id. */
  readonly active: ReadonlyMap<string, Work>;
  /** The queue head exactly as the server last sent it, in order. */
  readonly queued: ReadonlyArray<QueuedWork>;
  /** Jobs in the whole queue, as the server last counted them (null: it never said; the head's length stands in). */
  readonly queuedTotal: number | null;
  /** Ended jobs, newest first, at most FINISHED_LIMIT. */
  readonly finished: ReadonlyArray<Work>;
}

export const emptyFleet: FleetState = {
  loaded: false,
  heartbeatTimeoutSeconds: null,
  agents: new Map(),
  bookings: [],
  bookingsByAgent: new Map(),
  active: new Map(),
  queued: [],
  queuedTotal: null,
  finished: []
};

const isActive = (w: Work): boolean => ACTIVE_STATES.includes(w.state);
const isEnded = (w: Work): boolean => !isActive(w) && w.state !== "queued";

const endedAt = (w: Work): number => {
  const at = w.finished_at ?? w.result?.finished_at ?? w.updated_at ?? w.created_at;
  const ms = at === null ? Number.NaN : Date.parse(at);
  return Number.isNaN(ms) ? 0 : ms;
};

/** Newest first, ties by work_id so the order is stable, cut to the limit. */
const newestFinished = (list: ReadonlyArray<Work>): ReadonlyArray<Work> =>
  [...list].sort((a, b) => endedAt(b) - endedAt(a) || a.work_id.localeCompare(b.work_id)).slice(0, FINISHED_LIMIT);

const applySnapshot = (state: FleetState, e: SnapshotEvent): FleetState => ({
  loaded: true,
  heartbeatTimeoutSeconds: e.heartbeat_timeout_seconds,
  agents: new Map(e.agents.map((a) => [a.agent_id, a])),
  bookings: e.bookings,
  // Reusing the old groups keeps unchanged cards memoised across a reconnect.
  bookingsByAgent: groupBookings(state.bookingsByAgent, e.bookings),
  active: new Map(e.work.active.filter(isActive).map((w) => [w.work_id, w])),
  queued: e.work.queued,
  queuedTotal: e.queued_total,
  finished: newestFinished(e.work.finished.filter(isEnded))
});

const applyAgents = (state: FleetState, e: AgentsEvent): FleetState => {
  if (e.agents.length === 0) return state;
  const agents = new Map(state.agents);
  for (const a of e.agents) agents.set(a.agent_id, a);
  return { ...state, agents };
};

const applyWork = (state: FleetState, e: WorkEvent): FleetState => {
  if (e.work.length === 0 && e.queued === null && e.bookings === null && e.queued_total === null) return state;
  const changed = new Map(e.work.map((w) => [w.work_id, w]));
  const active = new Map(state.active);
  const ended: Work[] = [];
  for (const w of changed.values()) {
    active.delete(w.work_id);
    if (isActive(w)) active.set(w.work_id, w);
    else if (isEnded(w)) ended.push(w);
  }
  const finished =
    changed.size === 0 ? state.finished : newestFinished([...ended, ...state.finished.filter((w) => !changed.has(w.work_id))]);
  const queued =
    e.queued ??
    // The event left the queue out: keep it, less the jobs that left it, with the new figures of those still in it.
    state.queued.flatMap((q) => {
      const now = changed.get(q.work_id);
      if (now === undefined) return [q];
      return now.state === "queued" ? [{ ...now, position: q.position }] : [];
    });
  const bookings = e.bookings ?? state.bookings;
  return {
    ...state,
    active,
    finished,
    queued,
    queuedTotal: e.queued_total ?? state.queuedTotal,
    bookings,
    bookingsByAgent: e.bookings === null ? state.bookingsByAgent : groupBookings(state.bookingsByAgent, bookings)
  };
};

/** The state after one event: a snapshot replaces everything, the others update what they name. */
export const applyEvent = (state: FleetState, event: FleetEvent): FleetState => {
  switch (event.kind) {
    case "snapshot":
      return applySnapshot(state, event);
    case "agents":
      return applyAgents(state, event);
    case "work":
      return applyWork(state, event);
  }
};

/**
 * Several events in order, as one read from the stream brings them. A run of
 * `agents` events is applied as one, so 500 heartbeats in a chunk copy the
 * agent map once instead of 500 times.
 */
export const applyEvents = (state: FleetState, events: ReadonlyArray<FleetEvent>): FleetState => {
  let next = state;
  let run: AgentsEvent[] = [];
  const flushRun = (): void => {
    if (run.length === 0) return;
    next = applyAgents(next, { kind: "agents", now: "", agents: run.length === 1 ? (run[0]?.agents ?? []) : run.flatMap((e) => e.agents) });
    run = [];
  };
  for (const e of events) {
    if (e.kind === "agents") {
      run.push(e);
      continue;
    }
    flushRun();
    next = applyEvent(next, e);
  }
  flushRun();
  return next;
};

/** Agents in a stable order (by id) for the cards and selects. */
export const sortedAgents = (agents: ReadonlyMap<string, Agent>): ReadonlyArray<Agent> =>
  [...agents.values()].sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0));

const startedAt = (w: Work): number => {
  const at = w.started_at ?? w.dispatched_at ?? w.created_at;
  const ms = at === null ? Number.NaN : Date.parse(at);
  return Number.isNaN(ms) ? 0 : ms;
};

/** Active jobs, the longest running first. */
export const activeList = (active: ReadonlyMap<string, Work>): ReadonlyArray<Work> =>
  [...active.values()].sort((a, b) => startedAt(a) - startedAt(b) || a.work_id.localeCompare(b.work_id));

/** The live record of a job, wherever it is in the lists. */
export const findWork = (state: FleetState, workId: string): Work | undefined =>
  state.active.get(workId) ?? state.queued.find((q) => q.work_id === workId) ?? state.finished.find((w) => w.work_id === workId);
