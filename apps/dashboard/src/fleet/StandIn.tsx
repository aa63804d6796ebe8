import { useEffect, useRef } from "preact/hooks";
import { memo } from "../ui/memo.ts";
import { standInHeight } from "./nearView.ts";

interface Props {
  readonly agentId: string;
  readonly gpuCount: number;
  readonly observer: IntersectionObserver | undefined;
}

/** A card not drawn yet: its agent's id at about the card's height, drawn in full when it comes near the view. */
const Stand = ({ agentId, gpuCount, observer }: Props) => {
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (element === null || observer === undefined) return;
    observer.observe(element);
    return () => observer.unobserve(element);
  }, [observer]);
  return (
    <li ref={ref} class="card stand-in" data-stand-in={agentId} aria-busy="true" style={{ height: `${standInHeight(gpuCount)}px` }}>
      <h3 class="agent-id">{agentId}</h3>
    </li>
  );
};

/** Memoised: a heartbeat of an agent off screen renders nothing. */
export const StandIn = memo(Stand);
