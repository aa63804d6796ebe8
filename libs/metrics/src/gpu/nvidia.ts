import { Effect } from "effect";
import type { CommandRunner } from "@homelab/process";
import type { MetricsSettings } from "../MetricsConfig.ts";
import { toSourceError, type GpuSourceError } from "./GpuBackend.ts";
import { runTool } from "./runTool.ts";
import type { GpuReading } from "./GpuReading.ts";
import { NVIDIA_QUERY_FIELDS, parseNvidiaCsv } from "./parsers/nvidiaCsv.ts";
import { nvidiaInventoryFromJson, parseNvidiaXmlDocument, type NvidiaInventory } from "./parsers/nvidiaXml.ts";

/**
 * Per-heartbeat NVIDIA figures: `nvidia-smi --query-gpu=… --format=csv,nounits`,
 * columns mapped by header name. A driver failure (exit 9 and its message)
 * comes back as an error carrying nvidia-smi's own words.
 */
export const readNvidia = (settings: MetricsSettings): Effect.Effect<ReadonlyArray<GpuReading>, GpuSourceError, CommandRunner> =>
  runTool(settings, "nvidia-smi", [`--query-gpu=${NVIDIA_QUERY_FIELDS.join(",")}`, "--format=csv,nounits"]).pipe(
    Effect.flatMap((out) => Effect.fromResult(parseNvidiaCsv(out.stdout))),
    Effect.mapError(toSourceError("nvidia"))
  );

/**
 * The richer inventory (driver and CUDA versions, MIG layout) from
 * `nvidia-smi -q -x`, parsed into the same structure node-nvidia-smi returns
 * (xml2js with its options). We do not call node-nvidia-smi's function itself:
 * it runs nvidia-smi through a shell with no timeout, which a hung driver
 * would turn into a leaked process; here the command is killed at the deadline.
 */
export const readNvidiaInventory = (settings: MetricsSettings): Effect.Effect<NvidiaInventory, GpuSourceError, CommandRunner> =>
  runTool(settings, "nvidia-smi", ["-q", "-x"]).pipe(
    Effect.flatMap((out) => Effect.fromResult(parseNvidiaXmlDocument(out.stdout))),
    Effect.map(nvidiaInventoryFromJson),
    Effect.mapError(toSourceError("nvidia"))
  );
