export * from "./errors.ts";
export { isPlaceholder, parseNumber, parseNumberStrict } from "./placeholders.ts";
export { NVIDIA_UNNAMED, nvidiaDriverFailure } from "./nvidiaSmi.ts";
export { NVIDIA_QUERY_FIELDS, parseNvidiaCsv, type NvidiaCsvOptions } from "./nvidiaCsv.ts";
export {
  nvidiaInventoryFromJson,
  parseNvidiaXmlDocument,
  parseNvidiaXmlText,
  readingsFromNvidiaSmiJson,
  type NvidiaInventory,
  type NvidiaInventoryGpu
} from "./nvidiaXml.ts";
export { AMD_UNNAMED, parseRocmSmiJson, readingsFromAmdgpuSysfs, type AmdgpuSysfsCard } from "./rocmSmi.ts";
export { INTEL_UNNAMED, parseXpuSmiDiscoveryJson, parseXpuSmiStatsJson } from "./xpuSmi.ts";
