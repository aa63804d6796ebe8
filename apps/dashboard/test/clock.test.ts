import { createTicker, serverOffsetMs } from "../src/state/clock.ts";

const fakeTimers = () => {
  let now = 1_000_000;
  const intervals = new Map<number, () => void>();
  let next = 1;
  return {
    intervals,
    advance(ms: number) {
      now += ms;
      intervals.forEach((fn) => fn());
    },
    timers: {
      now: () => now,
      setInterval: (fn: () => void) => {
        intervals.set(next, fn);
        return next++;
      },
      clearInterval: (handle: unknown) => {
        if (typeof handle === "number") intervals.delete(handle);
      }
    }
  };
};

describe("server clock", () => {
  test("the offset is the server's now minus the local time the event arrived", () => {
    expect(serverOffsetMs("2025-01-01T00:00:10.000Z", Date.parse("2025-01-01T00:00:07.500Z"))).toBe(2500);
    expect(serverOffsetMs("not a date", 0)).toBeNull();
  });

  test("the ticker's now is local time corrected by the offset", () => {
    const t = fakeTimers();
    const ticker = createTicker(t.timers);
    ticker.setOffset(-3000);
    expect(ticker.serverNow()).toBe(997_000);
  });

  test("one interval serves every subscriber, and it stops when the last one leaves", () => {
    const t = fakeTimers();
    const ticker = createTicker(t.timers);
    let ticks = 0;
    const offA = ticker.subscribe(() => ticks++);
    const offB = ticker.subscribe(() => ticks++);
    expect(t.intervals.size).toBe(1);
    t.advance(1000);
    expect(ticks).toBe(2);
    offA();
    offB();
    expect(t.intervals.size).toBe(0);
  });
});
