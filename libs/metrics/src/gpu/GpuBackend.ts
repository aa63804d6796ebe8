import { Context, Data, Effect } from "effect";
import type { CommandError } from "@homelab/process";
import type { GpuReading } from "./GpuReading.ts";
import type { NvidiaInventory } from "./parsers/nvidiaXml.ts";

export type GpuType = "nvidia" | "amd" | "intel" | "none";

/** A GPU source failed: the tool is missing, failed, hung, or printed something unreadable. */
export class GpuSourceError extends Data.TaggedError("GpuSourceError")<{
  readonly backend: GpuType;
  /** True when the backend's tool (and any fallback) is absent from this machine. */
  readonly missing: boolean;
  readonly message: string;
}> {}

/** A GPU backend: where per-heartbeat GPU figures come from on this machine. */
export interface GpuBackendShape {
  readonly gpu_type: GpuType;
  /** Reads every GPU now; bounded by the source timeout. */
  readonly read: Effect.Effect<ReadonlyArray<GpuReading>, GpuSourceError>;
  /** The slow-changing inventory (NVIDIA: `nvidia-smi -q -x`); null for backends that have none. Bounded by the source timeout. */
  readonly inventory: Effect.Effect<NvidiaInventory | null, GpuSourceError>;
}

export class GpuBackend extends Context.Service<GpuBackend, GpuBackendShape>()("@homelab/metrics/GpuBackend") {}

/** Turns a command failure or a parser error into the backend's source error. */
export const toSourceError =
  (backend: GpuType) =>
  (error: CommandError | { readonly _tag: string; readonly message: string }): GpuSourceError =>
    new GpuSourceError({ backend, missing: error._tag === "CommandNotFound", message: error.message });
