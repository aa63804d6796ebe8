import { decodeFrame } from "../src/api/decodeEvents.ts";
import type { FleetEvent } from "../src/api/types.ts";
import { activeList, applyEvent, applyEvents, emptyFleet, FINISHED_LIMIT, type FleetState, findWork } from "../src/state/fleetState.ts";
import { agentJson, frame, snapshotJson, workJson } from "./fixtures.ts";

const ev = (name: string, data: unknown): FleetEvent => {
  const meaning = decodeFrame(frame(name, data));
  if (meaning.kind !== "event") throw new Error(JSON.stringify(meaning));
  return meaning.event;
};
const apply = (state: FleetState, ...events: FleetEvent[]): FleetState => events.reduce(applyEvent, state);
const queuedJson = (id: string, position: number) => ({ ...workJson(id, { state: "queued", agent_id: null, gpu_index: null }), position });
const ended = (id: string, finishedAt: string, state = "succeeded") => workJson(id, { state, finished_at: finishedAt, updated_at: finishedAt });

describe("fleet state from events", () => {
  test("a snapshot replaces every agent, booking and job the page had", () => {
    const before = apply(
      emptyFleet,
      ev("snapshot", snapshotJson({ agents: [agentJson("old")], bookings: [{ agent_id: "old", gpu_index: 0, vram_gb: 1 }], work: { active: [workJson("w-old")], queued: [], finished: [] } }))
    );
    const after = apply(before, ev("snapshot", snapshotJson({ agents: [agentJson("new")] })));
    expect([...after.agents.keys()]).toEqual(["new"]);
    expect(after.bookings).toEqual([]);
    expect(after.bookingsByAgent.size).toBe(0);
    expect(after.active.size).toBe(0);
    expect(after.loaded).toBe(true);
  });

  test("an agents event replaces the named agents and inserts new ones, leaving the rest untouched", () => {
    const s0 = apply(emptyFleet, ev("snapshot", snapshotJson({ agents: [agentJson("a1"), agentJson("a2")] })));
    const a2 = s0.agents.get("a2");
    const s1 = apply(s0, ev("agents", { now: "x", agents: [agentJson("a1", { status: "offline", offline_reason: "agent_shutdown" }), agentJson("a3")] }));
    expect(s1.agents.get("a1")?.status).toBe("offline");
    expect(s1.agents.get("a2")).toBe(a2);
    expect([...s1.agents.keys()].sort()).toEqual(["a1", "a2", "a3"]);
  });

  test("a job moves from the queue to active to finished as work events change its state", () => {
    const s0 = apply(emptyFleet, ev("snapshot", snapshotJson({ work: { active: [], queued: [queuedJson("w1", 1)], finished: [] } })));
    expect(s0.queued.map((q) => q.work_id)).toEqual(["w1"]);
    const s1 = apply(s0, ev("work", { now: "x", work: [workJson("w1", { state: "dispatched" })], queued: [], bookings: [{ agent_id: "a1", gpu_index: 0, vram_gb: 4 }] }));
    expect(s1.queued).toEqual([]);
    expect(s1.active.get("w1")?.state).toBe("dispatched");
    expect(s1.bookingsByAgent.get("a1")).toEqual([{ agent_id: "a1", gpu_index: 0, vram_gb: 4 }]);
    const s2 = apply(s1, ev("work", { now: "x", work: [ended("w1", "2025-01-01T00:01:00Z")], queued: [], bookings: [] }));
    expect(s2.active.size).toBe(0);
    expect(s2.finished.map((w) => [w.work_id, w.state])).toEqual([["w1", "succeeded"]]);
    expect(s2.bookingsByAgent.size).toBe(0);
  });

  test("the queue becomes exactly the queued list of the event, in its order", () => {
    const s0 = apply(emptyFleet, ev("snapshot", snapshotJson({ work: { active: [], queued: [queuedJson("w1", 1), queuedJson("w2", 2)], finished: [] } })));
    const s1 = apply(s0, ev("work", { now: "x", work: [], queued: [queuedJson("w3", 1), queuedJson("w1", 2)], bookings: [] }));
    expect(s1.queued.map((q) => [q.work_id, q.position])).toEqual([["w3", 1], ["w1", 2]]);
  });

  test("a work event that leaves out the queue keeps it, less the jobs that left it", () => {
    const s0 = apply(emptyFleet, ev("snapshot", snapshotJson({ work: { active: [], queued: [queuedJson("w1", 1), queuedJson("w2", 2)], finished: [] } })));
    const s1 = apply(s0, ev("work", { now: "x", work: [workJson("w1", { state: "cancelled" })] }));
    expect(s1.queued.map((q) => q.work_id)).toEqual(["w2"]);
  });

  test("finished jobs are kept newest first and cut to the limit", () => {
    const many = Array.from({ length: FINISHED_LIMIT + 5 }, (_, i) => ended(`w${i}`, new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString()));
    const s0 = apply(emptyFleet, ev("snapshot", snapshotJson({ work: { active: [], queued: [], finished: many.slice(0, 10) } })));
    const s1 = apply(s0, ev("work", { now: "x", work: many.slice(10), queued: [], bookings: [] }));
    expect(s1.finished).toHaveLength(FINISHED_LIMIT);
    expect(s1.finished[0]?.work_id).toBe(`w${FINISHED_LIMIT + 4}`);
    expect(s1.finished[FINISHED_LIMIT - 1]?.work_id).toBe("w5");
  });

  test("a finished job updated again replaces its old entry instead of appearing twice", () => {
    const s0 = apply(emptyFleet, ev("snapshot", snapshotJson({ work: { active: [], queued: [], finished: [ended("w1", "2025-01-01T00:01:00Z", "cancelled")] } })));
    const s1 = apply(s0, ev("work", { now: "x", work: [ended("w1", "2025-01-01T00:01:05Z", "cancelled")], queued: [], bookings: [] }));
    expect(s1.finished.map((w) => w.work_id)).toEqual(["w1"]);
    expect(s1.finished[0]?.finished_at).toBe("2025-01-01T00:01:05Z");
  });

  test("a work event without bookings keeps the bookings the page had", () => {
    const s0 = apply(emptyFleet, ev("snapshot", snapshotJson({ bookings: [{ agent_id: "a1", gpu_index: 0, vram_gb: 4 }] })));
    const s1 = apply(s0, ev("work", { now: "x", work: [workJson("w9")], queued: [] }));
    expect(s1.bookingsByAgent).toBe(s0.bookingsByAgent);
  });

  test("active jobs list the longest running first and findWork finds a job in any list", () => {
    const s0 = apply(
      emptyFleet,
      ev("snapshot", snapshotJson({ work: { active: [workJson("late", { started_at: "2025-01-01T00:05:00Z" }), workJson("early", { started_at: "2025-01-01T00:01:00Z" })], queued: [queuedJson("q", 1)], finished: [ended("f", "2025-01-01T00:00:30Z")] } }))
    );
    expect(activeList(s0.active).map((w) => w.work_id)).toEqual(["early", "late"]);
    expect(["late", "q", "f", "none"].map((id) => findWork(s0, id)?.state ?? null)).toEqual(["running", "queued", "succeeded", null]);
  });

  test("events applied together give the same state as one by one, with later updates of an agent winning", () => {
    const events = [
      ev("snapshot", snapshotJson({ agents: [agentJson("a1")] })),
      ev("agents", { now: "x", agents: [agentJson("a1", { reported_status: "busy" }), agentJson("a2")] }),
      ev("agents", { now: "x", agents: [agentJson("a1", { reported_status: "draining" })] }),
      ev("work", { now: "x", work: [workJson("w1")], queued: [], bookings: [] }),
      ev("agents", { now: "x", agents: [agentJson("a3")] })
    ];
    const together = applyEvents(emptyFleet, events);
    const oneByOne = events.reduce(applyEvent, emptyFleet);
    expect(together).toEqual(oneByOne);
    expect(together.agents.get("a1")?.reported_status).toBe("draining");
    expect([...together.agents.keys()].sort()).toEqual(["a1", "a2", "a3"]);
  });

  test("a snapshot after agents events in the same batch still replaces them", () => {
    const s = applyEvents(emptyFleet, [ev("agents", { now: "x", agents: [agentJson("gone")] }), ev("snapshot", snapshotJson({ agents: [agentJson("a1")] }))]);
    expect([...s.agents.keys()]).toEqual(["a1"]);
  });
});
