import type { FleetAgent } from "@homelab/registry";

// Per-agent and per-GPU series (prefix homelab_), written from the registry at
// scrape time: what a Grafana panel of "free VRAM per GPU per machine" or
// "which machines are up" reads. Labels are bounded by the fleet (agent,
// GPU index, name, vendor, uuid): never a job id. Rendered here as text
// rather than through prom-client gauges: with 1,000 agents × 4 GPUs that is
// 30,000 samples, and setting labelled gauges one by one cost most of a
// 130 ms scrape (tools/bench/scrape.ts).

/** What one scrape reads: every registered agent, VRAM booked per GPU, and the queue's length. */
export interface FleetSnapshot {
  readonly agents: ReadonlyArray<FleetAgent>;
  /** VRAM (GB) that active work books, by `${agent_id}/${gpu_index}`. */
  readonly bookedVram: ReadonlyMap<string, number>;
  readonly queued: number;
}

/** GB in the protocol are GiB (libs/metrics: BYTES_PER_GB = 1024³). */
const BYTES_PER_GB = 1024 ** 3;

const NEEDS_ESCAPE = /[\\"\n]/;

/** A label value as the text format wants it: backslash, double quote and newline escaped (most values need none). */
const escape = (value: string): string =>
  NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : value;

interface Family {
  readonly name: string;
  readonly help: string;
  /** Its sample lines, each ending in a newline (one growing string: far cheaper than an array joined at the end). */
  text: string;
}

/** The fleet's series in the Prometheus text format (HELP, TYPE gauge, samples), from one snapshot. */
export const renderFleet = (snapshot: FleetSnapshot): string => {
  const families = new Map<string, Family>();
  const family = (name: string, help: string): Family => {
    const found = families.get(name);
    if (found !== undefined) return found;
    const created: Family = { name: `homelab_${name}`, help, text: "" };
    families.set(name, created);
    return created;
  };
  // Declared up front so every family is listed (with HELP and TYPE) even when empty, in a fixed order.
  const up = family("agent_up", "1 while the agent is online (heartbeats within the timeout), 0 once offline; status: online, busy, draining or offline");
  const age = family("agent_heartbeat_age_seconds", "Seconds since the agent's last heartbeat reached the orchestrator");
  const load1 = family("agent_cpu_load1", "1-minute load average the agent last reported");
  const cores = family("agent_cpu_cores", "Logical CPU cores of the agent's machine");
  const coresAvailable = family("agent_cpu_cores_available", "Cores not busy, as the agent last reported (before bookings)");
  const memoryTotal = family("agent_memory_total_bytes", "Memory of the agent's machine");
  const memoryAvailable = family("agent_memory_available_bytes", "Memory available, as the agent last reported");
  const slots = family("agent_max_concurrent_work", "Jobs the agent runs at once (absent when it does not say)");
  const vramTotal = family("gpu_vram_total_bytes", "VRAM of the GPU");
  const vramUsed = family("gpu_vram_used_bytes", "VRAM in use on the GPU, as the agent last reported");
  const vramAvailable = family("gpu_vram_available_bytes", "VRAM free on the GPU, as the agent last reported (before bookings)");
  const vramBooked = family("gpu_vram_booked_bytes", "VRAM that work still active on the GPU booked");
  const utilization = family("gpu_utilization_percent", "GPU utilisation, as the agent last reported");
  const temperature = family("gpu_temperature_celsius", "GPU temperature, as the agent last reported");
  const queued = family("work_queued", "Jobs waiting in the queue");
  const sample = (f: Family, labels: string, value: number) => {
    f.text += `${f.name}${labels} ${value}\n`;
  };

  sample(queued, "", snapshot.queued);
  for (const a of snapshot.agents) {
    const agentId = escape(a.agent_id);
    const agent = `{agent="${agentId}"}`;
    const online = a.status === "online";
    const status = !online ? "offline" : a.drained || a.reported_status === "draining" ? "draining" : a.reported_status;
    sample(up, `{agent="${agentId}",pool="${escape(a.pool_name)}",status="${status}"}`, online ? 1 : 0);
    sample(age, agent, a.heartbeat_age_seconds);
    // The machine's figures only while they are current.
    if (!online) continue;
    sample(load1, agent, a.cpu_load_1min);
    sample(cores, agent, a.cpu_cores_total);
    sample(coresAvailable, agent, a.cpu_cores_available);
    sample(memoryTotal, agent, a.memory_total_gb * BYTES_PER_GB);
    sample(memoryAvailable, agent, a.memory_available_gb * BYTES_PER_GB);
    if (a.max_concurrent_work !== null) sample(slots, agent, a.max_concurrent_work);
    for (const gpu of a.gpus) {
      const labels = `{agent="${agentId}",index="${gpu.index}",name="${escape(gpu.name)}",vendor="${escape(a.gpu_type)}",uuid="${escape(gpu.uuid ?? "")}"}`;
      sample(vramTotal, labels, gpu.vram_total_gb * BYTES_PER_GB);
      sample(vramUsed, labels, gpu.vram_used_gb * BYTES_PER_GB);
      sample(vramAvailable, labels, gpu.vram_available_gb * BYTES_PER_GB);
      sample(vramBooked, labels, (snapshot.bookedVram.get(`${a.agent_id}/${gpu.index}`) ?? 0) * BYTES_PER_GB);
      if (gpu.utilization_percent !== null) sample(utilization, labels, gpu.utilization_percent);
      if (gpu.temperature_c !== null) sample(temperature, labels, gpu.temperature_c);
    }
  }
  let out = "";
  for (const f of families.values()) out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n${f.text}`;
  return out;
};
