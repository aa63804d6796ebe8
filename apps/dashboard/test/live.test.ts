import { createLive } from "../src/live.ts";
import { agentJson, frame, snapshotJson } from "./fixtures.ts";

const setup = () => {
  const flushes: Array<() => void> = [];
  const live = createLive({
    fetch: () => Promise.reject(new Error("no network in this test")),
    storage: null,
    schedule: (flush) => flushes.push(flush),
    timers: { now: () => Date.parse("2025-01-01T00:00:00.000Z"), setInterval: () => 1, clearInterval: () => undefined }
  });
  return live;
};

describe("applying the event stream to the page", () => {
  test("events update the fleet and set the server clock offset from their `now`", () => {
    const live = setup();
    live.handleFrames([frame("snapshot", snapshotJson({ now: "2025-01-01T00:00:05.000Z" }))], Date.parse("2025-01-01T00:00:01.000Z"));
    expect([...live.fleet.get().agents.keys()]).toEqual(["a1"]);
    // offset 4 s, local now 00:00:00 → server now 00:00:04
    expect(live.ticker.serverNow()).toBe(Date.parse("2025-01-01T00:00:04.000Z"));
  });

  test("a malformed event leaves the state as it was and adds a notice", () => {
    const live = setup();
    live.handleFrames([frame("snapshot", snapshotJson())], 0);
    const before = live.fleet.get();
    live.handleFrames([frame("agents", "{broken")], 0);
    live.handleFrames([frame("work", { now: "x" })], 0);
    expect(live.fleet.get()).toBe(before);
    expect(live.notices.get().map((n) => n.message)).toEqual(["agents event: its data is not JSON", "work event ignored: work.work: expected an array"]);
  });

  test("a malformed agent inside a good event is skipped with a notice and the good ones apply", () => {
    const live = setup();
    live.handleFrames([frame("snapshot", snapshotJson())], 0);
    live.handleFrames([frame("agents", { now: "2025-01-01T00:00:00Z", agents: [agentJson("a2"), { agent_id: 5 }] })], 0);
    expect([...live.fleet.get().agents.keys()].sort()).toEqual(["a1", "a2"]);
    expect(live.notices.get()[0]?.message).toBe("agents event: ignored a malformed item: agents.agents[1].agent_id: expected a string");
  });

  test("frames of one read apply in order, and a malformed one among them does not stop the others", () => {
    const live = setup();
    live.handleFrames(
      [
        frame("snapshot", snapshotJson()),
        frame("agents", "{broken"),
        frame("agents", { now: "2025-01-01T00:00:00Z", agents: [agentJson("a1", { status: "offline", offline_reason: "agent_shutdown" })] })
      ],
      0
    );
    expect(live.fleet.get().agents.get("a1")?.status).toBe("offline");
    expect(live.notices.get()).toHaveLength(1);
  });
});
