import { useEffect, useMemo, useState } from "preact/hooks";
import { NEAR_MARGIN, withDrawn } from "./nearView.ts";

/** Watches stand-ins: one coming near the view is added to the drawn set (by its data-stand-in id). */
export interface NearView {
  readonly drawn: ReadonlySet<string>;
  readonly observer: IntersectionObserver | undefined;
}

const NOTHING: ReadonlySet<string> = new Set();

export const useNearView = (): NearView => {
  const [drawn, setDrawn] = useState<ReadonlySet<string>>(NOTHING);
  const observer = useMemo(
    () =>
      typeof IntersectionObserver === "undefined"
        ? undefined
        : new IntersectionObserver(
            (entries) => {
              const near = entries.filter((e) => e.isIntersecting).map((e) => (e.target as HTMLElement).dataset["standIn"] ?? "");
              if (near.length > 0) setDrawn((d) => withDrawn(d, near));
            },
            { rootMargin: NEAR_MARGIN }
          ),
    []
  );
  useEffect(() => () => observer?.disconnect(), [observer]);
  return { drawn, observer };
};
