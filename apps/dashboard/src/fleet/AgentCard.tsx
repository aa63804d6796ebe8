import type { Agent, Booking } from "../api/types.ts";
import { formatGb, formatLoad, formatTime } from "../format.ts";
import { bookedOnGpu } from "../state/bookings.ts";
import { memo } from "../ui/memo.ts";
import { AgentActions } from "./AgentActions.tsx";
import { Age } from "./Age.tsx";
import { GpuRow } from "./GpuRow.tsx";
import { liveness } from "./liveness.ts";

interface Props {
  readonly agent: Agent;
  readonly bookings: ReadonlyArray<Booking>;
}

const Card = ({ agent, bookings }: Props) => {
  const live = liveness(agent);
  const m = agent.resource_metrics;
  const offline = agent.status === "offline";
  return (
    <li class={`card liveness-${live.key}${offline ? " offline" : ""}`} data-agent-id={agent.agent_id}>
      <div class="card-head">
        <h3 class="agent-id">{agent.agent_id}</h3>
        <span class={`badge badge-${live.key}`} data-testid="liveness" data-value={live.key}>
          {live.label}
        </span>
      </div>
      <dl class="facts">
        <dt>heartbeat</dt>
        <dd>
          <Age at={agent.last_heartbeat_at} />
          {offline ? (
            <span class="last-seen" data-testid="last-seen" data-value={agent.last_heartbeat_at}>
              {` (last seen ${formatTime(agent.last_heartbeat_at)})`}
            </span>
          ) : null}
        </dd>
        <dt>pool</dt>
        <dd data-testid="pool">{agent.pool_name === "" ? "—" : agent.pool_name}</dd>
        <dt>kinds</dt>
        <dd data-testid="kinds">{agent.capabilities.length === 0 ? "—" : agent.capabilities.join(", ")}</dd>
        <dt>CPU</dt>
        <dd data-testid="cpu-load" data-value={m.cpu_load_1min} data-cores={m.cpu_cores_total}>
          {formatLoad(m.cpu_load_1min, m.cpu_cores_total)}
        </dd>
        <dt>memory</dt>
        <dd>
          <span data-testid="memory-available" data-value={m.memory_available_gb}>
            {formatGb(m.memory_available_gb)}
          </span>
          {" free of "}
          <span data-testid="memory-total" data-value={m.memory_total_gb}>
            {formatGb(m.memory_total_gb)}
          </span>
        </dd>
      </dl>
      {m.gpus.length === 0 ? (
        <p class="muted">no GPU</p>
      ) : (
        <ul class="gpus">
          {m.gpus.map((g) => (
            <GpuRow key={g.index} gpu={g} bookedGb={bookedOnGpu(bookings, g.index)} />
          ))}
        </ul>
      )}
      {m.collection_errors.length === 0 ? null : (
        <p class="warning" data-testid="collection-errors">
          metrics incomplete: {m.collection_errors.map((e) => `${e.source}: ${e.message}`).join("; ")}
        </p>
      )}
      <AgentActions agent={agent} />
    </li>
  );
};

/** One agent. Memoised: it renders again only when its agent object or its bookings change. */
export const AgentCard = memo(Card);
