import { Effect, Layer } from "effect";
import { CommandRunner } from "@homelab/process";
import { MetricsConfig, type GpuBackendChoice, type MetricsSettings } from "../MetricsConfig.ts";
import { readAmd } from "./amd.ts";
import { GpuBackend, type GpuBackendShape, type GpuSourceError, type GpuType } from "./GpuBackend.ts";
import type { GpuReading } from "./GpuReading.ts";
import { readIntel } from "./intel.ts";
import { readNvidia, readNvidiaInventory } from "./nvidia.ts";

const readers: Record<
  Exclude<GpuType, "none">,
  (s: MetricsSettings) => Effect.Effect<ReadonlyArray<GpuReading>, GpuSourceError, CommandRunner>
> = {
  nvidia: readNvidia,
  amd: readAmd,
  intel: readIntel
};

const backendOf = (gpu_type: GpuType, settings: MetricsSettings, runner: CommandRunner["Service"]): GpuBackendShape => ({
  gpu_type,
  read:
    gpu_type === "none"
      ? Effect.succeed([])
      : readers[gpu_type](settings).pipe(
          Effect.provideService(CommandRunner, runner),
          Effect.withSpan(`GpuBackend.${gpu_type}.read`)
        ),
  inventory:
    gpu_type === "nvidia"
      ? readNvidiaInventory(settings).pipe(Effect.provideService(CommandRunner, runner), Effect.withSpan("GpuBackend.nvidia.inventory"))
      : Effect.succeed(null)
});

/**
 * `auto`: the first of nvidia → amd → intel whose tool is present on this
 * machine. A tool that is present but failing (a driver that cannot be
 * reached) still wins: the operator then sees the failure in
 * `collection_errors` instead of a silent "no GPU".
 */
export const detectGpuType = (settings: MetricsSettings): Effect.Effect<GpuType, never, CommandRunner> =>
  Effect.gen(function* () {
    for (const candidate of ["nvidia", "amd", "intel"] as const) {
      const result = yield* Effect.result(readers[candidate](settings));
      if (result._tag === "Success" || !result.failure.missing) return candidate;
    }
    return "none" as const;
  });

/** Resolves a `GPU_BACKEND` choice to the backend this machine uses. */
export const resolveGpuType = (
  choice: GpuBackendChoice,
  settings: MetricsSettings
): Effect.Effect<GpuType, never, CommandRunner> =>
  choice === "auto" ? detectGpuType(settings) : Effect.succeed(choice);

/** The GPU backend chosen by `MetricsConfig.gpuBackend` (auto-detected once, at start-up). */
export const gpuBackendLayer: Layer.Layer<GpuBackend, never, MetricsConfig | CommandRunner> = Layer.effect(
  GpuBackend,
  Effect.gen(function* () {
    const settings = yield* MetricsConfig;
    const gpu_type = yield* resolveGpuType(settings.gpuBackend, settings);
    yield* Effect.logInfo(`GPU backend: ${gpu_type}${settings.gpuBackend === "auto" ? " (auto-detected)" : ""}`);
    return backendOf(gpu_type, settings, yield* CommandRunner);
  })
);
