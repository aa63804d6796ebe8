import { barBackground } from "../src/fleet/vramBar.ts";
import { vramSplit } from "../src/fleet/vramSplit.ts";

describe("the VRAM bar as one gradient", () => {
  test("paints used, booked, free and reserved left to right with hard stops at their shares of the total", () => {
    // 24 GB: 6 used, 4 booked, 12 free (available 16 − 4), 2 reserved.
    const split = vramSplit({ vram_total_gb: 24, vram_used_gb: 6, vram_available_gb: 16 }, 4);
    expect(barBackground(split)).toBe(
      "linear-gradient(to right, #334155 0 25%, #1d4ed8 25% 41.67%, #d7f2df 41.67% 91.67%, #b8c0c9 91.67% 100%)"
    );
  });

  test("a card with nothing used or booked is free from edge to edge", () => {
    const split = vramSplit({ vram_total_gb: 8, vram_used_gb: 0, vram_available_gb: 8 }, 0);
    expect(barBackground(split)).toBe("linear-gradient(to right, #334155 0 0%, #1d4ed8 0% 0%, #d7f2df 0% 100%, #b8c0c9 100% 100%)");
  });
});
