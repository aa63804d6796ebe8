import type { GpuType, Requirements, Work } from "../api/types.ts";
import { readNumberField } from "../numberInput.ts";

export interface ParamRow {
  /** Stable key for the row while names are edited. */
  readonly id: number;
  readonly name: string;
  readonly value: string;
}

export interface SubmitInputs {
  readonly kind: string;
  readonly params: ReadonlyArray<ParamRow>;
  readonly minVramGb: string;
  readonly minCores: string;
  readonly minMemoryGb: string;
  readonly gpuType: GpuType | "";
  readonly timeoutSeconds: string;
}

/** The body of `POST /work`. */
export interface WorkSubmission {
  readonly kind: string;
  readonly params: Readonly<Record<string, string>>;
  readonly requirements?: Requirements;
  readonly timeout_seconds?: number;
}

export type Built = { readonly ok: true; readonly body: WorkSubmission } | { readonly ok: false; readonly error: string };

/** Checks the form and builds the request body; a blank param row is skipped, blank requirements are left out. */
export const buildSubmission = (inputs: SubmitInputs): Built => {
  const kind = inputs.kind.trim();
  if (kind === "") return { ok: false, error: "choose a kind" };

  const params: Record<string, string> = {};
  for (const row of inputs.params) {
    const name = row.name.trim();
    if (name === "" && row.value === "") continue;
    if (name === "") return { ok: false, error: `parameter with value ${JSON.stringify(row.value)} has no name` };
    if (Object.hasOwn(params, name)) return { ok: false, error: `parameter ${JSON.stringify(name)} is given twice` };
    params[name] = row.value;
  }

  const vram = readNumberField("min VRAM GB", inputs.minVramGb);
  const cores = readNumberField("min cores", inputs.minCores);
  const memory = readNumberField("min memory GB", inputs.minMemoryGb);
  for (const f of [vram, cores, memory]) if (!f.ok) return { ok: false, error: f.error };
  const requirements: Requirements = {
    ...(vram.ok && vram.value !== null ? { min_vram_gb: vram.value } : {}),
    ...(cores.ok && cores.value !== null ? { min_cores: cores.value } : {}),
    ...(memory.ok && memory.value !== null ? { min_memory_gb: memory.value } : {}),
    ...(inputs.gpuType === "" ? {} : { gpu_type: inputs.gpuType })
  };

  const timeoutText = inputs.timeoutSeconds.trim();
  const timeout = Number(timeoutText);
  if (timeoutText !== "" && !(Number.isInteger(timeout) && timeout > 0)) {
    return { ok: false, error: "timeout: enter a whole number of seconds above 0" };
  }

  return {
    ok: true,
    body: {
      kind,
      params,
      ...(Object.keys(requirements).length === 0 ? {} : { requirements }),
      ...(timeoutText === "" ? {} : { timeout_seconds: timeout })
    }
  };
};

/** What the page says after a 202: where the job went, or why it waits. */
export const describeSubmitted = (work: Work): string =>
  work.state === "queued"
    ? `queued: ${work.waiting_reason ?? "waiting for room"}`
    : work.agent_id === null
      ? `accepted (${work.state})`
      : `dispatched to ${work.agent_id}`;
