import { Gauge, type Registry } from "prom-client";
import type { AgentRecord } from "@homelab/registry";

// Per-agent and per-GPU series (prefix homelab_), set from the registry at
// scrape time: what a Grafana panel of "free VRAM per GPU per machine" or
// "which machines are up" reads. Labels are bounded by the fleet (agent,
// GPU index, name, vendor, uuid): never a job id.

/** What one scrape reads: every registered agent, VRAM booked per GPU, and the queue's length. */
export interface FleetSnapshot {
  readonly agents: ReadonlyArray<AgentRecord>;
  /** VRAM (GB) that active work books, by `${agent_id}/${gpu_index}`. */
  readonly bookedVram: ReadonlyMap<string, number>;
  readonly queued: number;
  /** The scrape's clock (ms), for heartbeat ages. */
  readonly now: number;
}

/** GB in the protocol are GiB (libs/metrics: BYTES_PER_GB = 1024³). */
const BYTES_PER_GB = 1024 ** 3;

/** Registers the fleet gauges on `registry`; `set` replaces every series with what a snapshot says. */
export const makeFleetGauges = (registry: Registry) => {
  const registers = [registry];
  const agentLabels = ["agent"] as const;
  const gpuLabels = ["agent", "index", "name", "vendor", "uuid"] as const;
  const gauge = <L extends string>(name: string, help: string, labelNames: ReadonlyArray<L>) =>
    new Gauge<L>({ name: `homelab_${name}`, help, labelNames: [...labelNames], registers });
  const g = {
    up: gauge("agent_up", "1 while the agent is online (heartbeats within the timeout), 0 once offline; status: online, busy, draining or offline", [
      "agent",
      "pool",
      "status"
    ] as const),
    heartbeatAge: gauge("agent_heartbeat_age_seconds", "Seconds since the agent's last heartbeat reached the orchestrator", agentLabels),
    load1: gauge("agent_cpu_load1", "1-minute load average the agent last reported", agentLabels),
    cores: gauge("agent_cpu_cores", "Logical CPU cores of the agent's machine", agentLabels),
    coresAvailable: gauge("agent_cpu_cores_available", "Cores not busy, as the agent last reported (before bookings)", agentLabels),
    memoryTotal: gauge("agent_memory_total_bytes", "Memory of the agent's machine", agentLabels),
    memoryAvailable: gauge("agent_memory_available_bytes", "Memory available, as the agent last reported", agentLabels),
    slots: gauge("agent_max_concurrent_work", "Jobs the agent runs at once (absent when it does not say)", agentLabels),
    vramTotal: gauge("gpu_vram_total_bytes", "VRAM of the GPU", gpuLabels),
    vramUsed: gauge("gpu_vram_used_bytes", "VRAM in use on the GPU, as the agent last reported", gpuLabels),
    vramAvailable: gauge("gpu_vram_available_bytes", "VRAM free on the GPU, as the agent last reported (before bookings)", gpuLabels),
    vramBooked: gauge("gpu_vram_booked_bytes", "VRAM that work still active on the GPU booked", gpuLabels),
    utilization: gauge("gpu_utilization_percent", "GPU utilisation, as the agent last reported", gpuLabels),
    temperature: gauge("gpu_temperature_celsius", "GPU temperature, as the agent last reported", gpuLabels),
    queued: gauge("work_queued", "Jobs waiting in the queue", [] as const)
  };

  const set = (snapshot: FleetSnapshot): void => {
    for (const gauge of Object.values(g)) gauge.reset();
    g.queued.set(snapshot.queued);
    for (const a of snapshot.agents) {
      const m = a.resource_metrics;
      const agent = { agent: a.agent_id };
      const online = a.status === "online";
      const status = !online ? "offline" : a.drained || a.reported_status === "draining" ? "draining" : a.reported_status;
      g.up.set({ agent: a.agent_id, pool: a.pool_name, status }, online ? 1 : 0);
      g.heartbeatAge.set(agent, Math.max(0, (snapshot.now - Date.parse(a.last_heartbeat_at)) / 1000));
      // The machine's figures only while they are current.
      if (!online) continue;
      g.load1.set(agent, m.cpu_load_1min);
      g.cores.set(agent, m.cpu_cores_total);
      g.coresAvailable.set(agent, m.cpu_cores_available);
      g.memoryTotal.set(agent, m.memory_total_gb * BYTES_PER_GB);
      g.memoryAvailable.set(agent, m.memory_available_gb * BYTES_PER_GB);
      if (a.max_concurrent_work !== null) g.slots.set(agent, a.max_concurrent_work);
      for (const gpu of m.gpus) {
        const labels = { agent: a.agent_id, index: String(gpu.index), name: gpu.name, vendor: m.gpu_type, uuid: gpu.uuid ?? "" };
        g.vramTotal.set(labels, gpu.vram_total_gb * BYTES_PER_GB);
        g.vramUsed.set(labels, gpu.vram_used_gb * BYTES_PER_GB);
        g.vramAvailable.set(labels, gpu.vram_available_gb * BYTES_PER_GB);
        g.vramBooked.set(labels, (snapshot.bookedVram.get(`${a.agent_id}/${gpu.index}`) ?? 0) * BYTES_PER_GB);
        if (gpu.utilization_percent !== null) g.utilization.set(labels, gpu.utilization_percent);
        if (gpu.temperature_c !== null) g.temperature.set(labels, gpu.temperature_c);
      }
    }
  };
  return { set, clear: () => Object.values(g).forEach((gauge) => gauge.reset()) };
};
