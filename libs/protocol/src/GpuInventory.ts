import { Schema } from "effect";
import { IsoUtc, NonNegative, NonNegativeInt, ShortText } from "./fields.ts";
import { MAX_GPU_INDEX, MAX_GPUS } from "./ResourceMetrics.ts";

/** One GPU's slow-changing facts. Text is as the tool prints it; null where the tool prints a placeholder. */
export const GpuInventoryEntry = Schema.Struct({
  index: NonNegativeInt.check(
    Schema.isLessThanOrEqualTo(MAX_GPU_INDEX, { expected: `an integer from 0 to ${MAX_GPU_INDEX}` })
  ),
  uuid: Schema.NullOr(ShortText),
  name: ShortText,
  /** `00000000:01:00.0`. */
  pci_bus_id: Schema.NullOr(ShortText),
  /** "Enabled" / "Disabled"; null where MIG is not supported. */
  mig_mode: Schema.NullOr(ShortText),
  mig_devices: NonNegativeInt.check(Schema.isLessThanOrEqualTo(64, { expected: "at most 64 MIG devices" })),
  /** "Enabled" / "Disabled"; null where ECC is not supported. */
  ecc_mode: Schema.NullOr(ShortText),
  /** The power limit in force, in watts. */
  power_limit_w: Schema.NullOr(NonNegative)
});

export type GpuInventoryEntry = typeof GpuInventoryEntry.Type;

/**
 * The GPU inventory (heartbeat field `gpu_inventory`, optional): what changes
 * rarely — driver and CUDA versions, per-GPU PCI bus id, MIG and ECC modes,
 * power limit. Agents collect it at start and every 10 minutes (NVIDIA:
 * `nvidia-smi -q -x`) and send it in the next heartbeat only, not in every one;
 * the registry keeps the last one of the agent's boot.
 */
export const GpuInventory = Schema.Struct({
  backend: Schema.Literals(["nvidia"]),
  collected_at: IsoUtc,
  driver_version: Schema.NullOr(ShortText),
  cuda_version: Schema.NullOr(ShortText),
  gpus: Schema.Array(GpuInventoryEntry).check(Schema.isMaxLength(MAX_GPUS, { expected: `at most ${MAX_GPUS} GPUs` }))
});

export type GpuInventory = typeof GpuInventory.Type;
