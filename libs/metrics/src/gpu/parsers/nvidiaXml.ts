/// <reference path="./xml2js.d.ts" />
import { Result, Schema } from "effect";
import xml2js from "xml2js";
import type { GpuReading } from "../GpuReading.ts";
import { GpuDriverError, GpuOutputError, type GpuParseError } from "./errors.ts";
import { NVIDIA_UNNAMED, nvidiaDriverFailure } from "./nvidiaSmi.ts";
import { parseNumber, parseNumberStrict, textOrNull } from "./placeholders.ts";
import { BYTES_PER_MIB, vramGb } from "./vram.ts";

// Exactly node-nvidia-smi 1.0.0's options, so the structure read below is the
// one its callback hands the agent: repeated elements become arrays, single
// ones objects, text a trimmed string, attributes go under "$" (text then under "_").
const NODE_NVIDIA_SMI_OPTIONS = { explicitArray: false, trim: true } as const;

const XmlElement = Schema.Record(Schema.String, Schema.Unknown);
type XmlElement = typeof XmlElement.Type;
const isXmlElement = Schema.is(XmlElement);

const NvidiaSmiDocument = Schema.Struct({
  nvidia_smi_log: Schema.Struct({
    driver_version: Schema.optionalKey(Schema.Unknown),
    cuda_version: Schema.optionalKey(Schema.Unknown),
    gpu: Schema.optionalKey(Schema.Union([Schema.Array(XmlElement), XmlElement]))
  })
});
const decodeDocument = Schema.decodeUnknownResult(NvidiaSmiDocument);

const outputError = (message: string) => new GpuOutputError({ tool: "nvidia-smi", message });

const isElementList = (value: ReadonlyArray<XmlElement> | XmlElement): value is ReadonlyArray<XmlElement> =>
  Array.isArray(value);

/** The log element and its `<gpu>` children in document order (one GPU is an object, several an array). */
const decodeLog = (data: unknown) =>
  Result.map(
    Result.mapError(decodeDocument(data), (error) =>
      outputError(`not nvidia-smi -q -x output (expected an <nvidia_smi_log> element): ${error.message}`)
    ),
    ({ nvidia_smi_log: log }) => ({
      log,
      gpus: log.gpu === undefined ? [] : isElementList(log.gpu) ? log.gpu : [log.gpu]
    })
  );

const child = (element: XmlElement | null, key: string): XmlElement | null => {
  const value = element?.[key];
  return isXmlElement(value) ? value : null;
};

/** An element's text; an element that also has attributes keeps its text under "_". */
const leaf = (element: XmlElement | null, key: string): string | undefined => {
  const value = element?.[key];
  if (typeof value === "string") return value;
  const text = isXmlElement(value) ? value["_"] : undefined;
  return typeof text === "string" ? text : undefined;
};

/**
 * Parses `nvidia-smi -q -x` output with xml2js exactly as node-nvidia-smi
 * does and checks that it is an nvidia-smi log. Succeeds with the structure
 * node-nvidia-smi would return (feed it to {@link readingsFromNvidiaSmiJson}
 * or {@link nvidiaInventoryFromJson}). nvidia-smi's driver-failure text gives
 * a GpuDriverError carrying that text.
 */
export const parseNvidiaXmlDocument = (xml: string): Result.Result<unknown, GpuParseError> => {
  const failure = nvidiaDriverFailure(xml);
  if (failure !== null) return Result.fail(new GpuDriverError({ tool: "nvidia-smi", message: failure }));
  if (xml.trim() === "") return Result.fail(outputError("nvidia-smi printed nothing"));
  const notXml = (cause: unknown) =>
    outputError(`nvidia-smi -q -x output is not XML: ${cause instanceof Error ? cause.message : String(cause)}`);
  // parseString calls back synchronously for string input (xml2js `async: false`,
  // its default); only the first outcome counts, in case it reports twice.
  const outcomes: Array<Result.Result<unknown, GpuOutputError>> = [];
  const ran = Result.try({
    try: () =>
      xml2js.parseString(xml, NODE_NVIDIA_SMI_OPTIONS, (error, result) => {
        outcomes.push(error === null ? Result.succeed(result) : Result.fail(notXml(error)));
      }),
    catch: notXml
  });
  const parsed =
    outcomes[0] ??
    (Result.isFailure(ran) ? ran : Result.fail(outputError("xml2js did not call back synchronously")));
  return Result.flatMap(parsed, (data) => Result.map(decodeLog(data), () => data));
};

const readGpu = (gpu: XmlElement, index: number): Result.Result<GpuReading, GpuOutputError> =>
  Result.gen(function* () {
    const number = (path: string, value: string | undefined) =>
      Result.mapError(parseNumberStrict(value), (why) => outputError(`gpu ${index}, ${path}: ${why}`));
    // The GPU's own fb_memory_usage: with MIG enabled each <mig_device> has
    // one too, but those sit under <mig_devices> and are not read here.
    const memory = child(gpu, "fb_memory_usage");
    const total = yield* number("fb_memory_usage.total", leaf(memory, "total"));
    const used = yield* number("fb_memory_usage.used", leaf(memory, "used"));
    const free = yield* number("fb_memory_usage.free", leaf(memory, "free"));
    const utilization = yield* number("utilization.gpu_util", leaf(child(gpu, "utilization"), "gpu_util"));
    const temperature = yield* number("temperature.gpu_temp", leaf(child(gpu, "temperature"), "gpu_temp"));
    return {
      index,
      uuid: textOrNull(leaf(gpu, "uuid")),
      name: textOrNull(leaf(gpu, "product_name")) ?? NVIDIA_UNNAMED,
      ...vramGb({ total, used, free }, BYTES_PER_MIB),
      utilization_percent: utilization,
      temperature_c: temperature
    };
  });

/**
 * Maps the structure node-nvidia-smi returns (xml2js output of
 * `nvidia-smi -q -x`) to one reading per physical `<gpu>`, indexed by its
 * position in the document. A MIG-enabled GPU is one reading with its own
 * fb_memory_usage. `[N/A]`-style values and missing elements read as null.
 */
export const readingsFromNvidiaSmiJson = (
  data: unknown
): Result.Result<ReadonlyArray<GpuReading>, GpuOutputError> =>
  Result.flatMap(decodeLog(data), ({ gpus }) => Result.all(gpus.map(readGpu)));

/** Reads `nvidia-smi -q -x` output: {@link parseNvidiaXmlDocument}, then {@link readingsFromNvidiaSmiJson}. */
export const parseNvidiaXmlText = (xml: string): Result.Result<ReadonlyArray<GpuReading>, GpuParseError> =>
  Result.flatMap(parseNvidiaXmlDocument(xml), readingsFromNvidiaSmiJson);

export interface NvidiaInventoryGpu {
  readonly index: number;
  readonly uuid: string | null;
  readonly name: string;
  /** `pci.pci_bus_id` (`00000000:01:00.0`), else the `<gpu id="…">` attribute; null when neither is there. */
  readonly pci_bus_id: string | null;
  /** `mig_mode.current_mig` ("Enabled" / "Disabled"); null where MIG is not supported. */
  readonly mig_mode: string | null;
  readonly mig_devices: number;
  /** `ecc_mode.current_ecc` ("Enabled" / "Disabled"); null where ECC is not supported (most GeForce cards). */
  readonly ecc_mode: string | null;
  /**
   * The power limit in force, in watts: `gpu_power_readings.current_power_limit`
   * (drivers 530+), else `power_readings.enforced_power_limit`, else
   * `power_readings.power_limit` (older drivers); null when the card does not report one.
   */
  readonly power_limit_w: number | null;
}

export interface NvidiaInventory {
  readonly driver_version: string | null;
  readonly cuda_version: string | null;
  readonly gpus: ReadonlyArray<NvidiaInventoryGpu>;
}

const migDeviceCount = (gpu: XmlElement): number => {
  // "None" (a string) when there are none; one <mig_device> is an object, several an array.
  const devices = child(gpu, "mig_devices")?.["mig_device"];
  if (Array.isArray(devices)) return devices.length;
  return isXmlElement(devices) ? 1 : 0;
};

const powerLimit = (gpu: XmlElement): number | null => {
  const current = child(gpu, "gpu_power_readings");
  const legacy = child(gpu, "power_readings");
  return (
    parseNumber(leaf(current, "current_power_limit")) ??
    parseNumber(leaf(legacy, "enforced_power_limit")) ??
    parseNumber(leaf(legacy, "power_limit"))
  );
};

/**
 * The slow-changing inventory from the structure node-nvidia-smi returns:
 * driver and CUDA versions and, per GPU, its PCI bus id, MIG mode and MIG
 * device count, ECC mode and power limit.
 * Placeholders read as null; a structure that is not an nvidia-smi log gives
 * nulls and no GPUs (check it first with {@link parseNvidiaXmlDocument}).
 */
export const nvidiaInventoryFromJson = (data: unknown): NvidiaInventory => {
  const decoded = decodeLog(data);
  if (Result.isFailure(decoded)) return { driver_version: null, cuda_version: null, gpus: [] };
  const { log, gpus } = decoded.success;
  return {
    driver_version: textOrNull(log.driver_version),
    cuda_version: textOrNull(log.cuda_version),
    gpus: gpus.map((gpu, index) => ({
      index,
      uuid: textOrNull(leaf(gpu, "uuid")),
      name: textOrNull(leaf(gpu, "product_name")) ?? NVIDIA_UNNAMED,
      pci_bus_id: textOrNull(leaf(child(gpu, "pci"), "pci_bus_id")) ?? textOrNull(child(gpu, "$")?.["id"]),
      mig_mode: textOrNull(leaf(child(gpu, "mig_mode"), "current_mig")),
      mig_devices: migDeviceCount(gpu),
      ecc_mode: textOrNull(leaf(child(gpu, "ecc_mode"), "current_ecc")),
      power_limit_w: powerLimit(gpu)
    }))
  };
};
