import { useMemo, useState } from "preact/hooks";
import { NO_BOOKINGS } from "../state/bookings.ts";
import { sortedAgents } from "../state/fleetState.ts";
import { useLive, useStoreValue } from "../ui/hooks.ts";
import { AgentCard } from "./AgentCard.tsx";
import { FleetFilters } from "./FleetFilters.tsx";
import { filterAgents, NO_FILTER, poolsOf } from "./filters.ts";
import { isDrawn } from "./nearView.ts";
import { StandIn } from "./StandIn.tsx";
import { useNearView } from "./useNearView.ts";

/** Every agent as a card, filtered; built only while the tab shows, and in full only near the view (nearView.ts). */
export const FleetView = ({ active }: { readonly active: boolean }) =>
  // Keyed by `active`: coming back to the tab starts again from a first chunk.
  active ? <Fleet key="fleet" /> : null;

const Fleet = () => {
  const live = useLive();
  const state = useStoreValue(live.fleet);
  const [filter, setFilter] = useState(NO_FILTER);
  const all = useMemo(() => sortedAgents(state.agents), [state.agents]);
  const pools = useMemo(() => poolsOf(all), [all]);
  const shown = useMemo(() => filterAgents(all, filter), [all, filter]);
  const near = useNearView();
  return (
    <>
      <FleetFilters filter={filter} pools={pools} onChange={setFilter} />
      <p class="muted" data-testid="fleet-count" data-value={shown.length}>
        {state.loaded ? `showing ${shown.length} of ${all.length} agents` : "loading…"}
      </p>
      {state.loaded && all.length === 0 ? <p>No agent has registered yet.</p> : null}
      <ul class="cards">
        {shown.map((a, position) =>
          isDrawn(near.drawn, a.agent_id, position) ? (
            <AgentCard key={a.agent_id} agent={a} bookings={state.bookingsByAgent.get(a.agent_id) ?? NO_BOOKINGS} />
          ) : (
            <StandIn key={a.agent_id} agentId={a.agent_id} gpuCount={a.resource_metrics.gpus.length} observer={near.observer} />
          )
        )}
      </ul>
    </>
  );
};
