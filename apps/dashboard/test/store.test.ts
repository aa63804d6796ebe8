import { addNotice, NOTICE_LIMIT } from "../src/state/notices.ts";
import { createStore } from "../src/state/store.ts";
import { shallowEqual } from "../src/shallowEqual.ts";

describe("store, notices and memo comparison", () => {
  test("a burst of updates tells listeners once, at the scheduled flush, with the latest value", () => {
    const pending: Array<() => void> = [];
    const store = createStore(0, (flush) => pending.push(flush));
    const seen: number[] = [];
    store.subscribe(() => seen.push(store.get()));
    store.update((n) => n + 1);
    store.update((n) => n + 1);
    store.update((n) => n + 1);
    expect(pending).toHaveLength(1);
    pending[0]?.();
    expect(seen).toEqual([3]);
  });

  test("an update that returns the same value tells nobody", () => {
    const pending: Array<() => void> = [];
    const store = createStore({ a: 1 }, (flush) => pending.push(flush));
    store.update((s) => s);
    expect(pending).toHaveLength(0);
  });

  test("a repeated notice counts up instead of stacking, and old ones go past the limit", () => {
    let list = addNotice([], "bad agents event", 1);
    list = addNotice(list, "bad agents event", 2);
    expect(list).toEqual([{ id: 1, message: "bad agents event", count: 2 }]);
    for (let i = 0; i < NOTICE_LIMIT + 2; i++) list = addNotice(list, `other ${i}`, 10 + i);
    expect(list).toHaveLength(NOTICE_LIMIT);
    expect(list[0]?.message).toBe("other 2");
  });

  test("props are equal when every value is the same object, not merely alike", () => {
    const agent = { id: "a" };
    expect(shallowEqual({ agent, n: 1 }, { agent, n: 1 })).toBe(true);
    expect(shallowEqual({ agent }, { agent: { id: "a" } })).toBe(false);
    expect(shallowEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(shallowEqual({ a: undefined }, { b: undefined })).toBe(false);
  });
});
