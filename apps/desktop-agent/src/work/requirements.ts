import type { ResourceMetrics } from "@homelab/protocol";
import type { TaskRequirements } from "../config/AgentSettings.ts";

const gb = (x: number) => `${Math.round(x * 100) / 100} GB`;

/**
 * Whether this machine, as last measured, has what a task kind's `requires`
 * asks for (VRAM free on one GPU, SPEC §5). Undefined when it does; otherwise
 * a sentence naming each shortfall, fit for a `rejected` result. The router
 * checked the job's own requirements against the last heartbeat; this is the
 * kind's floor, checked by the machine that would run it, at that moment.
 */
export const unmetRequirements = (requires: TaskRequirements, resources: ResourceMetrics): string | undefined => {
  const short: Array<string> = [];
  if (requires.gpu_type !== undefined && requires.gpu_type !== resources.gpu_type) {
    short.push(`a GPU of type ${requires.gpu_type} (this machine: ${resources.gpu_type})`);
  }
  if (requires.min_vram_gb !== undefined && requires.min_vram_gb > 0) {
    const best = resources.gpus.reduce((most, g) => Math.max(most, g.vram_available_gb), 0);
    if (best < requires.min_vram_gb) short.push(`${gb(requires.min_vram_gb)} of VRAM free on one GPU (most free now: ${gb(best)})`);
  }
  if (requires.min_cores !== undefined && resources.cpu_cores_available < requires.min_cores) {
    short.push(`${requires.min_cores} free cores (now: ${Math.round(resources.cpu_cores_available * 100) / 100})`);
  }
  if (requires.min_memory_gb !== undefined && resources.memory_available_gb < requires.min_memory_gb) {
    short.push(`${gb(requires.min_memory_gb)} of free memory (now: ${gb(resources.memory_available_gb)})`);
  }
  return short.length === 0 ? undefined : `needs ${short.join(", ")}`;
};
