import { CHUNK, drawing, FIRST_CHUNK, nextCount } from "../src/fleet/progressive.ts";

describe("drawing a long fleet a chunk per frame", () => {
  test("adds a chunk per frame until every card is drawn, then stays", () => {
    const counts: Array<number> = [FIRST_CHUNK];
    while (drawing(counts.at(-1) ?? 0, 500)) counts.push(nextCount(counts.at(-1) ?? 0, 500));
    expect(counts[1]).toBe(FIRST_CHUNK + CHUNK);
    expect(counts.at(-1)).toBe(500);
    expect(counts.length).toBe(1 + Math.ceil((500 - FIRST_CHUNK) / CHUNK));
    expect(nextCount(500, 500)).toBe(500);
  });

  test("draws a short fleet at once, and keeps a first chunk's room while no data has come", () => {
    expect(drawing(FIRST_CHUNK, 3)).toBe(false);
    expect(nextCount(FIRST_CHUNK, 0)).toBe(FIRST_CHUNK);
    expect(drawing(FIRST_CHUNK, 0)).toBe(false);
  });

  test("grows again when more agents arrive than are drawn", () => {
    expect(drawing(500, 520)).toBe(true);
    expect(nextCount(500, 520)).toBe(520);
  });
});
