import { Effect } from "effect";
import type { CommandRunner } from "@homelab/process";
import type { MetricsSettings } from "../MetricsConfig.ts";
import { toSourceError, type GpuSourceError } from "./GpuBackend.ts";
import { runTool } from "./runTool.ts";
import type { GpuReading } from "./GpuReading.ts";
import { parseXpuSmiDiscoveryJson, parseXpuSmiStatsJson } from "./parsers/xpuSmi.ts";

/** Prefers the later reading's figures where it has them. */
const merge = (base: GpuReading, more: GpuReading | undefined): GpuReading =>
  more === undefined
    ? base
    : {
        ...base,
        vram_total_gb: more.vram_total_gb ?? base.vram_total_gb,
        vram_used_gb: more.vram_used_gb ?? base.vram_used_gb,
        vram_available_gb: more.vram_available_gb ?? base.vram_available_gb,
        utilization_percent: more.utilization_percent ?? base.utilization_percent,
        temperature_c: more.temperature_c ?? base.temperature_c
      };

/**
 * Intel GPUs: `xpu-smi discovery -j` lists the devices; per device,
 * `xpu-smi discovery -d <id> -j` gives its memory size and free memory and
 * `xpu-smi stats -d <id> -j` its memory used, utilization and temperature.
 * A per-device command that fails fails the whole read (so the collector keeps
 * the last good values and names the problem) rather than reporting a GPU
 * with silently missing figures.
 */
export const readIntel = (settings: MetricsSettings): Effect.Effect<ReadonlyArray<GpuReading>, GpuSourceError, CommandRunner> =>
  runTool(settings, "xpu-smi", ["discovery", "-j"]).pipe(
    Effect.flatMap((out) => Effect.fromResult(parseXpuSmiDiscoveryJson(out.stdout))),
    Effect.flatMap((devices) =>
      Effect.forEach(
        devices,
        (device) =>
          Effect.gen(function* () {
            const id = String(device.index);
            const detail = yield* runTool(settings, "xpu-smi", ["discovery", "-d", id, "-j"]).pipe(
              Effect.flatMap((out) => Effect.fromResult(parseXpuSmiDiscoveryJson(out.stdout)))
            );
            const stats = yield* runTool(settings, "xpu-smi", ["stats", "-d", id, "-j"]).pipe(
              Effect.flatMap((out) => Effect.fromResult(parseXpuSmiStatsJson(out.stdout)))
            );
            const merged = merge(merge(device, detail[0]), stats[0]);
            // discovery -d reports free memory; when it does not, total − used.
            const available =
              merged.vram_available_gb ??
              (merged.vram_total_gb !== null && merged.vram_used_gb !== null
                ? Math.max(0, merged.vram_total_gb - merged.vram_used_gb)
                : null);
            return { ...merged, vram_available_gb: available };
          }),
        { concurrency: 1 }
      )
    ),
    Effect.mapError(toSourceError("intel"))
  );
