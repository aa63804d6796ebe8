import { useEffect, useMemo, useState } from "preact/hooks";
import { sortedAgents } from "../state/fleetState.ts";
import { useLive, useStoreValue } from "../ui/hooks.ts";
import { Chart } from "./Chart.tsx";
import { decodeHistory, type HistoryPoint } from "./decodeHistory.ts";
import { DEFAULT_RANGE, HISTORY_REFRESH_MS, historyPath, RANGES, type RangeKey } from "./historyRange.ts";
import { historyCharts } from "./series.ts";

const rangeOf = (value: string): RangeKey => RANGES.find((r) => r.key === value)?.key ?? DEFAULT_RANGE;

interface Loaded {
  readonly key: string;
  readonly points: ReadonlyArray<HistoryPoint>;
}

/** One agent's figures over a range, from `/agents/<id>/history`, reloaded every minute while shown. */
export const HistoryView = ({ active }: { readonly active: boolean }) => {
  const live = useLive();
  const state = useStoreValue(live.fleet);
  const agents = useMemo(() => (active ? sortedAgents(state.agents) : []), [state.agents, active]);
  const [picked, setPicked] = useState("");
  const [range, setRange] = useState<RangeKey>(DEFAULT_RANGE);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Until the user picks one: the first online agent (else the first one), kept once chosen so it does not jump.
  const fallback = (agents.find((a) => a.status === "online") ?? agents[0])?.agent_id ?? "";
  const agentId = picked !== "" ? picked : fallback;
  useEffect(() => {
    if (picked === "" && fallback !== "") setPicked(fallback);
  }, [picked, fallback]);

  const key = `${agentId}|${range}`;
  useEffect(() => {
    if (!active || agentId === "") return;
    let current = true;
    let lastLoad = 0;
    const load = async (): Promise<void> => {
      lastLoad = Date.now();
      const result = await live.api.request("GET", historyPath(agentId, range, live.ticker.serverNow()), decodeHistory);
      if (!current) return;
      if (!result.ok) return setError(result.message);
      setError(null);
      setLoaded({ key, points: result.value.points });
      if (result.value.problems.length > 0) live.notify(`history: ignored ${result.value.problems.length} malformed point(s): ${result.value.problems[0] ?? ""}`);
    };
    void load();
    // Only while the page is visible: a background tab does not poll.
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, HISTORY_REFRESH_MS);
    const onVisible = (): void => {
      if (document.visibilityState === "visible" && Date.now() - lastLoad >= HISTORY_REFRESH_MS) void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      current = false;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [active, agentId, range, key, live]);

  const shown = loaded !== null && loaded.key === key ? loaded : null;
  const charts = useMemo(() => (shown === null ? [] : historyCharts(shown.points)), [shown]);

  return (
    <>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="history-agent">
          agent
          <select id="history-agent" value={agentId} onChange={(e) => setPicked(e.currentTarget.value)} data-testid="history-agent">
            {agents.length === 0 ? <option value="">no agents</option> : null}
            {agents.map((a) => (
              <option key={a.agent_id} value={a.agent_id}>
                {a.agent_id}
                {a.status === "offline" ? " (offline)" : ""}
              </option>
            ))}
          </select>
        </label>
        <label for="history-range">
          range
          <select id="history-range" value={range} onChange={(e) => setRange(rangeOf(e.currentTarget.value))} data-testid="history-range">
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error === null ? null : (
        <p class="error" role="alert" data-testid="history-error">
          {error}
        </p>
      )}
      {active && agentId !== "" && shown === null && error === null ? <p class="muted">loading…</p> : null}
      {shown !== null && charts.length === 0 ? <p data-testid="history-empty">no history yet for this range</p> : null}
      <div class="charts">
        {active ? charts.map((c) => <Chart key={c.key} spec={c} />) : null}
      </div>
    </>
  );
};
