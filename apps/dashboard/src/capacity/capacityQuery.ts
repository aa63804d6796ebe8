import { type Decoder, eachOf, field, number, object, string, withDefault, boolean } from "../api/decodeKit.ts";
import { readNumberField } from "../numberInput.ts";

export interface CapacityInputs {
  readonly vram: string;
  readonly cores: string;
  readonly memory: string;
}

export type CapacityRequest =
  | { readonly ok: true; readonly path: string; readonly minVramGb: number | null }
  | { readonly ok: false; readonly error: string };

/** `/capacity?…` from the finder's fields, leaving out the empty ones. */
export const capacityRequest = (inputs: CapacityInputs): CapacityRequest => {
  const fields = [
    ["min_vram_gb", readNumberField("VRAM GB on one GPU", inputs.vram)],
    ["min_cores", readNumberField("cores", inputs.cores)],
    ["min_memory_gb", readNumberField("memory GB", inputs.memory)]
  ] as const;
  const query = new URLSearchParams();
  for (const [name, f] of fields) {
    if (!f.ok) return { ok: false, error: f.error };
    if (f.value !== null) query.set(name, String(f.value));
  }
  const vram = fields[0][1];
  const text = query.toString();
  return { ok: true, path: text === "" ? "/capacity" : `/capacity?${text}`, minVramGb: vram.ok ? vram.value : null };
};

export interface CapacityAgent {
  readonly agent_id: string;
  readonly pool_name: string;
  readonly best_gpu_vram_available_gb: number;
  readonly cores_available: number;
  readonly memory_available_gb: number;
  readonly booked: { readonly vram_gb: number; readonly cores: number; readonly memory_gb: number };
  readonly draining: boolean;
}

export interface CapacityAnswer {
  readonly agents: ReadonlyArray<CapacityAgent>;
  /** Agents left out for being malformed. */
  readonly problems: ReadonlyArray<string>;
}

const decodeBooked: Decoder<CapacityAgent["booked"]> = (value, path) => {
  if (value === undefined || value === null) return { vram_gb: 0, cores: 0, memory_gb: 0 };
  const o = object(value, path);
  return {
    vram_gb: field(o, "vram_gb", withDefault(number, 0), path),
    cores: field(o, "cores", withDefault(number, 0), path),
    memory_gb: field(o, "memory_gb", withDefault(number, 0), path)
  };
};

const decodeCapacityAgent: Decoder<CapacityAgent> = (value, path) => {
  const o = object(value, path);
  return {
    agent_id: field(o, "agent_id", string, path),
    pool_name: field(o, "pool_name", withDefault(string, ""), path),
    best_gpu_vram_available_gb: field(o, "best_gpu_vram_available_gb", withDefault(number, 0), path),
    cores_available: field(o, "cores_available", withDefault(number, 0), path),
    memory_available_gb: field(o, "memory_available_gb", withDefault(number, 0), path),
    booked: field(o, "booked", decodeBooked, path),
    draining: field(o, "draining", withDefault(boolean, false), path)
  };
};

/** `GET /capacity`'s answer: `{ agents: [...], totals, queued }` (a bare array is taken too). */
export const decodeCapacityAnswer: Decoder<CapacityAnswer> = (value, path) => {
  const list = Array.isArray(value) ? value : object(value, path)["agents"];
  const { items, errors } = eachOf(decodeCapacityAgent, list, `${path}agents`);
  return { agents: items, problems: errors };
};
