import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import type { Live } from "../live.ts";
import type { Store } from "../state/store.ts";

export const LiveContext = createContext<Live | null>(null);

export const useLive = (): Live => {
  const live = useContext(LiveContext);
  if (live === null) throw new Error("useLive outside LiveContext");
  return live;
};

/** The store's current value; the component renders again when it changes. */
export const useStoreValue = <S>(store: Store<S>): S => {
  const [, setSeen] = useState<S>(store.get());
  useEffect(() => {
    const sync = (): void => setSeen(store.get());
    sync(); // a change between render and subscribe
    return store.subscribe(sync);
  }, [store]);
  return store.get();
};

/** Now on the server's clock, updated every second by the shared ticker. */
export const useServerNow = (): number => {
  const { ticker } = useLive();
  const [, setTicks] = useState(0);
  useEffect(() => ticker.subscribe(() => setTicks((n) => n + 1)), [ticker]);
  // Read at render, so a card re-rendered between ticks does not show a stale age.
  return ticker.serverNow();
};
