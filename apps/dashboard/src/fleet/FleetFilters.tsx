import { GPU_TYPES, type GpuType } from "../api/types.ts";
import type { FleetFilter } from "./filters.ts";

interface Props {
  readonly filter: FleetFilter;
  readonly pools: ReadonlyArray<string>;
  readonly onChange: (filter: FleetFilter) => void;
}

const vendorOf = (value: string): GpuType | "any" => GPU_TYPES.find((t) => t === value) ?? "any";

export const FleetFilters = ({ filter, pools, onChange }: Props) => (
  <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
    <label>
      pool
      <select value={filter.pool} onChange={(e) => onChange({ ...filter, pool: e.currentTarget.value })} data-testid="filter-pool">
        <option value="">any</option>
        {pools.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
    </label>
    <label>
      GPU vendor
      <select
        value={filter.vendor}
        onChange={(e) => onChange({ ...filter, vendor: vendorOf(e.currentTarget.value) })}
        data-testid="filter-vendor"
      >
        <option value="any">any</option>
        {GPU_TYPES.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
    </label>
    <label class="grow">
      search
      <input
        type="search"
        value={filter.search}
        placeholder="agent, pool, GPU, kind"
        onInput={(e) => onChange({ ...filter, search: e.currentTarget.value })}
        data-testid="filter-search"
      />
    </label>
  </form>
);
