import { useMemo, useState } from "preact/hooks";
import { NO_BOOKINGS } from "../state/bookings.ts";
import { sortedAgents } from "../state/fleetState.ts";
import { useLive, useStoreValue } from "../ui/hooks.ts";
import { AgentCard } from "./AgentCard.tsx";
import { FleetFilters } from "./FleetFilters.tsx";
import { filterAgents, NO_FILTER, poolsOf } from "./filters.ts";

/** Every agent as a card, filtered; the cards are only built while the tab shows. */
export const FleetView = ({ active }: { readonly active: boolean }) => {
  const live = useLive();
  const state = useStoreValue(live.fleet);
  const [filter, setFilter] = useState(NO_FILTER);
  // Hidden, the tab does no work per event: nothing is sorted or filtered.
  const all = useMemo(() => (active ? sortedAgents(state.agents) : []), [state.agents, active]);
  const pools = useMemo(() => poolsOf(all), [all]);
  const shown = useMemo(() => filterAgents(all, filter), [all, filter]);
  if (!active) return null;
  return (
    <>
      <FleetFilters filter={filter} pools={pools} onChange={setFilter} />
      <p class="muted" data-testid="fleet-count" data-value={shown.length}>
        {state.loaded ? `showing ${shown.length} of ${all.length} agents` : "loading…"}
      </p>
      {state.loaded && all.length === 0 ? <p>No agent has registered yet.</p> : null}
      <ul class="cards">
        {shown.map((a) => (
          <AgentCard key={a.agent_id} agent={a} bookings={state.bookingsByAgent.get(a.agent_id) ?? NO_BOOKINGS} />
        ))}
      </ul>
    </>
  );
};
