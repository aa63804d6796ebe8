import { AgentRefresh, REFRESH_MS } from "../src/live/AgentRefresh.ts";

/** A change as the registry lists it: the signature stands for liveness, status, drain, pool and kinds. */
const change = (agent_id: string, signature = "online|online|false||||[]") => ({ agent_id, signature });

describe("AgentRefresh (which changed agents a live batch sends now)", () => {
  it("sends a new agent and every change of liveness, status or drain at once", () => {
    const refresh = new AgentRefresh();
    expect(refresh.take([change("a")], 0)).toEqual(["a"]);
    expect(refresh.take([change("a", "offline|online|false|agent_shutdown|||[]")], 100)).toEqual(["a"]);
    expect(refresh.take([change("a", "online|online|true||||[]")], 200)).toEqual(["a"]);
    expect(refresh.take([change("a", "online|busy|true||||[]")], 300)).toEqual(["a"]);
  });

  it("folds heartbeats that change only figures into one send per refresh interval", () => {
    const refresh = new AgentRefresh();
    refresh.take([change("a"), change("b")], 0);
    const sent: Array<string> = [];
    // Every 500 ms both heartbeat; only their figures move (same signature).
    for (let t = 500; t <= 2 * REFRESH_MS; t += 500) {
      sent.push(...refresh.take([change("a"), change("b")], t).map((id) => `${t}:${id}`));
    }
    // The first refresh goes at once (none sent before), then one per REFRESH_MS.
    expect(sent).toEqual(["500:a", "500:b", `${500 + REFRESH_MS}:a`, `${500 + REFRESH_MS}:b`]);
  });

  it("sends a waiting agent with its next change of status, once, and waits again after", () => {
    const refresh = new AgentRefresh();
    refresh.take([change("a")], 0);
    refresh.take([change("a")], 100);
    expect(refresh.take([change("a", "offline|online|false|agent_shutdown|||[]")], 200)).toEqual(["a"]);
    // Nothing left waiting: the next figure-only heartbeat waits again.
    expect(refresh.take([], 300 + REFRESH_MS)).toEqual([]);
  });

  it("starts afresh on reset: every agent is new again", () => {
    const refresh = new AgentRefresh();
    refresh.take([change("a")], 0);
    refresh.reset();
    expect(refresh.take([change("a")], 1)).toEqual(["a"]);
  });
});
