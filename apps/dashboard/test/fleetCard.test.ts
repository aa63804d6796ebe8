import { decodeAgent } from "../src/api/decodeAgent.ts";
import { decode } from "../src/api/decodeKit.ts";
import type { Agent } from "../src/api/types.ts";
import { liveness } from "../src/fleet/liveness.ts";
import { vramSplit } from "../src/fleet/vramSplit.ts";
import { agentJson } from "./fixtures.ts";

const agent = (over: Record<string, unknown> = {}): Agent => {
  const r = decode(decodeAgent, agentJson("a1", over));
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe("what an agent card shows", () => {
  test("liveness: offline names why, then draining, then what the agent reported", () => {
    expect(liveness(agent({ status: "offline", offline_reason: "agent_shutdown" })).label).toBe("offline — stopped cleanly");
    expect(liveness(agent({ status: "offline", offline_reason: "heartbeat_timeout" })).label).toBe("offline — unreachable");
    expect(liveness(agent({ status: "offline", offline_reason: null })).label).toBe("offline — unreachable");
    expect(liveness(agent({ status: "offline", draining: true })).key).toBe("offline-unreachable");
    expect(liveness(agent({ reported_status: "busy", draining: true, drained: true })).label).toBe("draining");
    expect(liveness(agent({ reported_status: "busy" })).label).toBe("busy");
    expect(liveness(agent()).label).toBe("online");
  });

  test("the VRAM bar splits into used, booked and free that add up to the total", () => {
    const s = vramSplit({ vram_total_gb: 24, vram_used_gb: 6, vram_available_gb: 18 }, 4);
    expect([s.used, s.booked, s.free, s.reserved]).toEqual([6, 4, 14, 0]);
    expect(s.usedPct + s.bookedPct + s.freePct + s.reservedPct).toBeCloseTo(100);
    expect(s.usedPct).toBeCloseTo(25);
  });

  test("free is what the card offers minus what our jobs booked, exactly as /capacity computes it", () => {
    // 18.129 − 8 in float64 is 10.129000000000001; the server's float8 gives the same, so no rounding here.
    expect(vramSplit({ vram_total_gb: 23.988, vram_used_gb: 5.859, vram_available_gb: 18.129 }, 8).free).toBe(18.129 - 8);
    expect(vramSplit({ vram_total_gb: 23.988, vram_used_gb: 5.859, vram_available_gb: 18.129 }, 0).free).toBe(18.129);
  });

  test("memory the driver reserves (total − used above what it offers) shows as its own segment, not as free", () => {
    const s = vramSplit({ vram_total_gb: 16, vram_used_gb: 1.5, vram_available_gb: 14 }, 2);
    expect([s.used, s.booked, s.free, s.reserved]).toEqual([1.5, 2, 12, 0.5]);
    expect(s.usedPct + s.bookedPct + s.freePct + s.reservedPct).toBeCloseTo(100);
  });

  test("booked VRAM is capped so used plus booked never passes the total, and free never goes below 0", () => {
    const s = vramSplit({ vram_total_gb: 24, vram_used_gb: 20, vram_available_gb: 4 }, 10);
    expect([s.used, s.booked, s.free, s.reserved]).toEqual([20, 4, 0, 0]);
  });

  test("an inconsistent report offering more than the bar has room for is cut to fit", () => {
    const s = vramSplit({ vram_total_gb: 8, vram_used_gb: 9, vram_available_gb: 3 }, 2);
    expect([s.used, s.booked, s.free, s.freePct]).toEqual([8, 0, 0, 0]);
  });

  test("a card with 0 GB total has empty segments rather than NaN widths", () => {
    const s = vramSplit({ vram_total_gb: 0, vram_used_gb: 0, vram_available_gb: 0 }, 0);
    expect([s.usedPct, s.bookedPct, s.freePct, s.reservedPct]).toEqual([0, 0, 0, 0]);
  });
});
