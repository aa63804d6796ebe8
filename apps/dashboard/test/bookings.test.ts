import { bookedOnGpu, groupBookings, NO_BOOKINGS } from "../src/state/bookings.ts";

describe("bookings per agent", () => {
  test("bookings are grouped by agent", () => {
    const grouped = groupBookings(new Map(), [
      { agent_id: "a", gpu_index: 1, vram_gb: 2 },
      { agent_id: "b", gpu_index: 0, vram_gb: 3 },
      { agent_id: "a", gpu_index: 0, vram_gb: 4 }
    ]);
    expect(grouped.get("a")).toEqual([
      { agent_id: "a", gpu_index: 0, vram_gb: 4 },
      { agent_id: "a", gpu_index: 1, vram_gb: 2 }
    ]);
    expect(grouped.get("b")).toHaveLength(1);
  });

  test("an agent whose bookings did not change keeps the same array, so its card is not re-rendered", () => {
    const first = groupBookings(new Map(), [
      { agent_id: "a", gpu_index: 0, vram_gb: 4 },
      { agent_id: "b", gpu_index: 0, vram_gb: 3 }
    ]);
    const second = groupBookings(first, [
      { agent_id: "b", gpu_index: 0, vram_gb: 5 },
      { agent_id: "a", gpu_index: 0, vram_gb: 4 }
    ]);
    expect(second.get("a")).toBe(first.get("a"));
    expect(second.get("b")).not.toBe(first.get("b"));
    expect(second.get("b")?.[0]?.vram_gb).toBe(5);
  });

  test("VRAM booked on one GPU adds up every job on that GPU and nothing from the others", () => {
    const list = [
      { agent_id: "a", gpu_index: 0, vram_gb: 4 },
      { agent_id: "a", gpu_index: 0, vram_gb: 2.5 },
      { agent_id: "a", gpu_index: 1, vram_gb: 8 }
    ];
    expect(bookedOnGpu(list, 0)).toBe(6.5);
    expect(bookedOnGpu(list, 2)).toBe(0);
    expect(bookedOnGpu(NO_BOOKINGS, 0)).toBe(0);
  });
});
