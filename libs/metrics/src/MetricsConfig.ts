import { Context, Layer } from "effect";

/** Which GPU backend to use; `auto` tries nvidia → amd → intel → none. */
export type GpuBackendChoice = "auto" | "nvidia" | "amd" | "intel" | "none";

export const GPU_BACKEND_CHOICES: ReadonlyArray<GpuBackendChoice> = ["auto", "nvidia", "amd", "intel", "none"];

export interface MetricsSettings {
  readonly gpuBackend: GpuBackendChoice;
  /** Deadline for each source (SPEC §3: 5 s); a tool past it is killed. */
  readonly sourceTimeoutMs: number;
  /** Cap on what one tool may print before it is killed. */
  readonly maxToolOutputBytes: number;
  /** Environment for GPU tools (PATH decides which executables run); inherited when absent. */
  readonly toolEnv?: Readonly<Record<string, string | undefined>>;
  /** Root of the DRM class directory read by the amdgpu sysfs fallback. */
  readonly drmClassDir: string;
}

export const defaultMetricsSettings: MetricsSettings = {
  gpuBackend: "auto",
  sourceTimeoutMs: 5_000,
  maxToolOutputBytes: 4 * 1024 * 1024,
  drmClassDir: "/sys/class/drm"
};

/** Settings for the metrics library, provided by the app from its config. */
export class MetricsConfig extends Context.Service<MetricsConfig, MetricsSettings>()("@homelab/metrics/MetricsConfig") {
  static readonly layer = (settings: Partial<MetricsSettings> = {}): Layer.Layer<MetricsConfig> =>
    Layer.succeed(MetricsConfig, { ...defaultMetricsSettings, ...settings });
}
