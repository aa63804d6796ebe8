import { AgentRefresh, REFRESH_MS } from "../src/live/AgentRefresh.ts";
import { agentRecord } from "./support/agentRecords.ts";

const ids = (agents: ReadonlyArray<{ agent_id: string }>) => agents.map((a) => a.agent_id);

describe("AgentRefresh (which changed agents a live batch sends now)", () => {
  it("sends a new agent and every change of liveness, status or drain at once", () => {
    const refresh = new AgentRefresh();
    expect(ids(refresh.take([agentRecord("a")], 0))).toEqual(["a"]);
    expect(ids(refresh.take([agentRecord("a", { status: "offline" })], 100))).toEqual(["a"]);
    expect(ids(refresh.take([{ ...agentRecord("a"), drained: true }], 200))).toEqual(["a"]);
    expect(ids(refresh.take([{ ...agentRecord("a"), drained: true, reported_status: "busy" }], 300))).toEqual(["a"]);
  });

  it("folds heartbeats that change only figures into one send per refresh interval, the latest one", () => {
    const refresh = new AgentRefresh();
    refresh.take([agentRecord("a"), agentRecord("b")], 0);
    const sent: Array<ReadonlyArray<string>> = [];
    // Every 500 ms both heartbeat; a's figures move.
    for (let t = 500; t <= 2 * REFRESH_MS; t += 500) {
      const a = { ...agentRecord("a", { cores_available: t / 1000 }), last_seq: t };
      sent.push(ids(refresh.take([a, agentRecord("b")], t)).map((id) => `${t}:${id}`));
    }
    const flat = sent.flat();
    // The first refresh goes at once (none sent before), then one per REFRESH_MS.
    expect(flat).toEqual(["500:a", "500:b", `${500 + REFRESH_MS}:a`, `${500 + REFRESH_MS}:b`]);
  });

  it("sends the latest figures of a waiting agent with its next change of status", () => {
    const refresh = new AgentRefresh();
    refresh.take([agentRecord("a")], 0);
    refresh.take([agentRecord("a", { cores_available: 3 })], 100);
    const [sent] = refresh.take([agentRecord("a", { status: "offline", cores_available: 1 })], 200);
    expect(sent?.status).toBe("offline");
    // Nothing left waiting: the next figure-only heartbeat waits again.
    expect(refresh.take([], 300 + REFRESH_MS)).toEqual([]);
  });

  it("starts afresh on reset: every agent is new again", () => {
    const refresh = new AgentRefresh();
    refresh.take([agentRecord("a")], 0);
    refresh.reset();
    expect(ids(refresh.take([agentRecord("a")], 1))).toEqual(["a"]);
  });
});
