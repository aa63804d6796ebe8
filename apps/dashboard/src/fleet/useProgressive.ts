import { useEffect, useState } from "preact/hooks";
import { drawing, FIRST_CHUNK, nextCount } from "./progressive.ts";

/** How many of `total` items to render now: a first chunk, then one more chunk per animation frame. */
export const useProgressive = (total: number): number => {
  const [count, setCount] = useState(FIRST_CHUNK);
  useEffect(() => {
    if (!drawing(count, total)) return;
    const frame = requestAnimationFrame(() => setCount((c) => nextCount(c, total)));
    return () => cancelAnimationFrame(frame);
  }, [count, total]);
  return Math.min(count, total);
};
