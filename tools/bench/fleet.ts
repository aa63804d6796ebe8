// The simulated fleet and job mix the routing benchmarks share: deterministic,
// so two runs register the same fleet and ask the same questions.
import { randomUUID } from "node:crypto";
import { Schema } from "effect";
import { StatusUpdate } from "@homelab/protocol";
import type { RouteRequest } from "@homelab/registry";

export const KINDS = ["echo", "transcode", "llm", "render", "build", "train"] as const;
const BOOT = "7f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f";

/** A deterministic generator, so two runs register the same fleet and ask the same questions. */
let seed = 20261129;
export const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
export const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)] as A;
const round2 = (x: number) => Math.round(x * 100) / 100;

const decodeUpdate = Schema.decodeUnknownSync(StatusUpdate);

/** Agent `i`: 0-4 GPUs with random free VRAM, random free cores and memory, 1-3 of the kinds; `slots` advertised when given. */
export const agentHeartbeat = (i: number, slots?: number): StatusUpdate => {
  const gpus = Array.from({ length: Math.floor(random() * 5) }, (_, index) => {
    const total = pick([8, 12, 16, 24, 48]);
    const free = round2(random() * total);
    return {
      index,
      uuid: `GPU-${i}-${index}`,
      name: "NVIDIA GeForce RTX 4090",
      vram_total_gb: total,
      vram_used_gb: round2(total - free),
      vram_available_gb: free,
      utilization_percent: 10,
      temperature_c: 40
    };
  });
  const cores = pick([4, 8, 16, 32]);
  const load = round2(random() * cores);
  const memory = pick([16, 32, 64, 128]);
  const memoryFree = round2(random() * memory);
  const kinds = KINDS.filter(() => random() < 0.4);
  return decodeUpdate({
    agent_id: `bench-${String(i).padStart(6, "0")}`,
    agent_type: "desktop",
    status: "online",
    boot_id: BOOT,
    seq: 1,
    capabilities: kinds.length > 0 ? kinds : ["echo"],
    current_work: [],
    ...(slots === undefined ? {} : { max_concurrent_work: slots }),
    resources: {
      cpu_load_1min: load,
      cpu_load_5min: load,
      cpu_load_15min: load,
      cpu_cores_total: cores,
      cpu_cores_available: round2(cores - load),
      memory_total_gb: memory,
      memory_available_gb: memoryFree,
      memory_percent: round2(((memory - memoryFree) / memory) * 100),
      gpu_type: gpus.length > 0 ? "nvidia" : "none",
      gpu_count: gpus.length,
      gpu_vram_total_gb: gpus.reduce((t, g) => t + g.vram_total_gb, 0),
      gpu_vram_available_gb: round2(gpus.reduce((t, g) => t + g.vram_available_gb, 0)),
      gpus,
      collected_at: new Date().toISOString(),
      collection_errors: []
    }
  });
};

/** A random job: VRAM 2-20 GB on one GPU, some with cores or memory, some asking nothing. */
export const routedRequest = (): RouteRequest => {
  const shape = random();
  const requirements =
    shape < 0.6
      ? { min_vram_gb: round2(2 + random() * 18) }
      : shape < 0.8
        ? { min_vram_gb: round2(2 + random() * 10), min_cores: 2, min_memory_gb: 4 }
        : shape < 0.9
          ? { min_memory_gb: round2(1 + random() * 16) }
          : {};
  return { work_id: randomUUID(), kind: pick(KINDS), params: {}, requirements, timeout_seconds: 600 };
};

