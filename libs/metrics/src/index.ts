/**
 * Machine metrics for heartbeats: load averages, cores, memory and GPUs
 * (nvidia / amd / intel / none), as SPEC §2 `ResourceMetrics`.
 */
export { MetricsCollector, type MetricsCollectorShape } from "./MetricsCollector.ts";
export {
  MetricsConfig,
  GPU_BACKEND_CHOICES,
  defaultMetricsSettings,
  type GpuBackendChoice,
  type MetricsSettings
} from "./MetricsConfig.ts";
export { HostProbe, HostSourceError, type HostProbeShape, type MemoryReading } from "./host/HostProbe.ts";
export { GpuBackend, GpuSourceError, type GpuBackendShape, type GpuType } from "./gpu/GpuBackend.ts";
export type { GpuReading } from "./gpu/GpuReading.ts";
export { gpuBackendLayer, detectGpuType, resolveGpuType } from "./gpu/selectBackend.ts";
export { readNvidia, readNvidiaInventory } from "./gpu/nvidia.ts";
export { readAmd, readAmdgpuSysfs } from "./gpu/amd.ts";
export { readIntel } from "./gpu/intel.ts";
export * from "./gpu/parsers/index.ts";

import { Layer } from "effect";
import { MetricsCollector } from "./MetricsCollector.ts";
import { MetricsConfig, type MetricsSettings } from "./MetricsConfig.ts";
import { HostProbe } from "./host/HostProbe.ts";
import { gpuBackendLayer } from "./gpu/selectBackend.ts";
import { CommandRunner } from "@homelab/process";

/** The collector for this machine: host probe + the configured GPU backend. */
export const metricsLayer = (settings: Partial<MetricsSettings> = {}): Layer.Layer<MetricsCollector> =>
  MetricsCollector.layer.pipe(
    Layer.provide(Layer.merge(HostProbe.layer, gpuBackendLayer)),
    Layer.provide(Layer.merge(MetricsConfig.layer(settings), CommandRunner.layer))
  );
