/** A value that changes over time, with listeners. */
export interface Store<S> {
  get(): S;
  update(change: (current: S) => S): void;
  subscribe(listener: () => void): () => void;
}

/**
 * Updates apply at once; listeners are told at most once per `schedule` turn
 * (an animation frame in the page), so a burst of events — 500 agents
 * heartbeating each second — costs one render, not one per event.
 */
export const createStore = <S>(initial: S, schedule: (flush: () => void) => void): Store<S> => {
  let value = initial;
  let scheduled = false;
  const listeners = new Set<() => void>();
  const flush = (): void => {
    scheduled = false;
    listeners.forEach((l) => l());
  };
  return {
    get: () => value,
    update(change) {
      const next = change(value);
      if (next === value) return;
      value = next;
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }
  };
};
