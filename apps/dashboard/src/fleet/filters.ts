import type { Agent, GpuType } from "../api/types.ts";

export interface FleetFilter {
  /** "" = every pool. */
  readonly pool: string;
  readonly vendor: GpuType | "any";
  /** Words that must each appear in the agent id, pool, a GPU name or a task kind (any case). */
  readonly search: string;
}

export const NO_FILTER: FleetFilter = { pool: "", vendor: "any", search: "" };

const haystack = (a: Agent): string =>
  [a.agent_id, a.pool_name, ...a.resource_metrics.gpus.map((g) => g.name), ...a.capabilities].join("\n").toLowerCase();

export const filterAgents = (agents: ReadonlyArray<Agent>, filter: FleetFilter): ReadonlyArray<Agent> => {
  const words = filter.search.toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (filter.pool === "" && filter.vendor === "any" && words.length === 0) return agents;
  return agents.filter((a) => {
    if (filter.pool !== "" && a.pool_name !== filter.pool) return false;
    if (filter.vendor !== "any" && a.resource_metrics.gpu_type !== filter.vendor) return false;
    if (words.length === 0) return true;
    const text = haystack(a);
    return words.every((w) => text.includes(w));
  });
};

/** The pools present, sorted, for the pool select. */
export const poolsOf = (agents: ReadonlyArray<Agent>): ReadonlyArray<string> =>
  [...new Set(agents.map((a) => a.pool_name))].sort();

/** Every task kind some agent advertises (online or not), sorted, for the submit form. */
export const kindsOf = (agents: ReadonlyArray<Agent>): ReadonlyArray<string> =>
  [...new Set(agents.flatMap((a) => a.capabilities))].sort();
