import { FIRST_SCREEN, isDrawn, standInHeight, withDrawn } from "../src/fleet/nearView.ts";

describe("drawing a long fleet's cards in full only near the view", () => {
  test("draws the first screenful at once, before anything is observed", () => {
    const none: ReadonlySet<string> = new Set();
    expect(isDrawn(none, "a", 0)).toBe(true);
    expect(isDrawn(none, "x", FIRST_SCREEN - 1)).toBe(true);
    expect(isDrawn(none, "y", FIRST_SCREEN)).toBe(false);
    expect(isDrawn(none, "z", 499)).toBe(false);
  });

  test("draws a card once it came near the view, wherever a filter later puts it", () => {
    const drawn = withDrawn(new Set(), ["far-1", "far-2"]);
    expect(isDrawn(drawn, "far-1", 480)).toBe(true);
    expect(isDrawn(drawn, "far-2", FIRST_SCREEN + 3)).toBe(true);
    expect(isDrawn(drawn, "far-3", FIRST_SCREEN + 4)).toBe(false);
  });

  test("keeps the same set when nothing new came near, so nothing renders again", () => {
    const drawn = withDrawn(new Set(), ["a", "b"]);
    expect(withDrawn(drawn, ["b", "a"])).toBe(drawn);
    expect(withDrawn(drawn, [])).toBe(drawn);
    const more = withDrawn(drawn, ["a", "c", "c"]);
    expect(more).not.toBe(drawn);
    expect([...more].sort()).toEqual(["a", "b", "c"]);
    expect([...drawn].sort()).toEqual(["a", "b"]);
  });

  test("gives a stand-in more height per GPU, and a GPU-less agent one row for its 'no GPU' line", () => {
    expect(standInHeight(0)).toBe(standInHeight(1));
    expect(standInHeight(4)).toBeGreaterThan(standInHeight(1));
    expect(standInHeight(8) - standInHeight(4)).toBe(standInHeight(5) - standInHeight(1));
  });
});
