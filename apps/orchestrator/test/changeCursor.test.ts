import { ChangeCursor, OVERLAP_MS } from "../src/live/ChangeCursor.ts";

const row = (id: string, updated_at: string) => ({ id, updated_at });

describe("ChangeCursor (what the live feed reads and sends again)", () => {
  it("starts each read the overlap before the previous read's time, and a fresh one before the database's time now", () => {
    const cursor = new ChangeCursor();
    expect(cursor.since("2026-12-06T10:00:10.000Z")).toBe("2026-12-06T10:00:08.000Z");
    cursor.advance("2026-12-06T10:00:10.000Z");
    expect(cursor.since("2026-12-06T10:00:11.000Z")).toBe(new Date(Date.parse("2026-12-06T10:00:10.000Z") - OVERLAP_MS).toISOString());
  });

  it("sends a row again only when its updated_at moved", () => {
    const cursor = new ChangeCursor();
    const first = cursor.fresh("agent", [row("a", "2026-12-06T10:00:09.000Z"), row("b", "2026-12-06T10:00:09.500Z")], (r) => r.id);
    cursor.advance("2026-12-06T10:00:10.000Z");
    // The overlap reads a and b again; only b changed.
    const second = cursor.fresh("agent", [row("a", "2026-12-06T10:00:09.000Z"), row("b", "2026-12-06T10:00:10.200Z")], (r) => r.id);
    expect(first.map((r) => r.id)).toEqual(["a", "b"]);
    expect(second.map((r) => r.id)).toEqual(["b"]);
  });

  it("keeps agents and work apart, and forgets everything on reset (no page connected)", () => {
    const cursor = new ChangeCursor();
    cursor.fresh("agent", [row("x", "2026-12-06T10:00:09.000Z")], (r) => r.id);
    expect(cursor.fresh("work", [row("x", "2026-12-06T10:00:09.000Z")], (r) => r.id)).toHaveLength(1);
    cursor.advance("2026-12-06T10:00:10.000Z");
    cursor.reset();
    expect(cursor.fresh("agent", [row("x", "2026-12-06T10:00:09.000Z")], (r) => r.id)).toHaveLength(1);
    expect(cursor.since("2026-12-06T10:05:00.000Z")).toBe("2026-12-06T10:04:58.000Z");
  });

  it("forgets rows older than the next read's start, so memory stays bounded by what changed lately", () => {
    const cursor = new ChangeCursor();
    cursor.fresh("work", [row("old", "2026-12-06T10:00:00.000Z")], (r) => r.id);
    cursor.advance("2026-12-06T10:00:30.000Z");
    // Read again (it would not be, being older than the read's start): it counts as new, proving it was forgotten.
    expect(cursor.fresh("work", [row("old", "2026-12-06T10:00:00.000Z")], (r) => r.id)).toHaveLength(1);
  });
});
