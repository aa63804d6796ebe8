// Hand-written samples. No real `xpu-smi stats -j` capture exists in the
// fixtures; STATS below follows the structure xpu-smi's CLI builds
// (intel/xpumanager cli/src/core_stub/statistics_stub.cpp: `device_id`,
// `device_level` [{metrics_type, value}], `tile_level` [{tile_id,
// data_list}], `engine_util`; XPUM_STATS_MEMORY_USED scaled to MiB), with
// made-up values for a Flex 170-class card.
import { Result } from "effect";
import { parseXpuSmiDiscoveryJson, parseXpuSmiStatsJson } from "./xpuSmi.ts";

const ok = <A>(result: Result.Result<A, unknown>) => Result.getOrThrow(result);
const failure = <E>(result: Result.Result<unknown, E>) => Result.getOrThrow(Result.flip(result));

const device = (id: number, name: string) => ({
  device_id: id,
  device_name: name,
  device_type: "GPU",
  pci_bdf_address: `0000:${(0x3a + id).toString(16)}:00.0`,
  pci_device_id: "0x56c0",
  uuid: `00000000-0000-0000-0000-56c00000808${id}`,
  vendor_name: "Intel(R) Corporation"
});

const STATS = {
  device_id: 1,
  device_level: [
    { metrics_type: "XPUM_STATS_GPU_UTILIZATION", value: 37 },
    { metrics_type: "XPUM_STATS_POWER", value: 61 },
    { metrics_type: "XPUM_STATS_GPU_FREQUENCY", value: 2050 },
    { metrics_type: "XPUM_STATS_GPU_CORE_TEMPERATURE", value: 58.5 },
    { metrics_type: "XPUM_STATS_MEMORY_USED", value: 3072.5 },
    { metrics_type: "XPUM_STATS_MEMORY_UTILIZATION", value: 20.01 }
  ],
  engine_util: { compute: [{ engine_id: 0, value: 37 }], render: [], decoder: [], encoder: [], copy: [], media_enhancement: [], "3d": [] }
};

describe("parseXpuSmiDiscoveryJson", () => {
  it("reads one device from the device list; discovery has no memory, utilization or temperature", () => {
    const json = JSON.stringify({ device_list: [device(0, "Intel(R) Data Center GPU Flex 170")] }, null, 4);
    expect(ok(parseXpuSmiDiscoveryJson(json))).toEqual([
      {
        index: 0,
        uuid: "00000000-0000-0000-0000-56c000008080",
        name: "Intel(R) Data Center GPU Flex 170",
        vram_total_gb: null,
        vram_used_gb: null,
        vram_available_gb: null,
        utilization_percent: null,
        temperature_c: null
      }
    ]);
  });

  it("reads many devices, indexed by device_id and sorted", () => {
    const json = JSON.stringify({ device_list: [device(2, "B"), device(0, "A"), device(1, "C")] });
    expect(ok(parseXpuSmiDiscoveryJson(json)).map((r) => [r.index, r.name])).toEqual([
      [0, "A"],
      [1, "C"],
      [2, "B"]
    ]);
  });

  it("reads VRAM from the single-device form (discovery -d <id> -j), available = its free figure", () => {
    const json = JSON.stringify({
      ...device(0, "Intel(R) Arc(TM) A770 Graphics"),
      memory_physical_size_byte: String(16 * 1024 ** 3),
      memory_free_size_byte: String(12 * 1024 ** 3)
    });
    expect(ok(parseXpuSmiDiscoveryJson(json))[0]).toMatchObject({
      index: 0,
      vram_total_gb: 16,
      vram_used_gb: 4,
      vram_available_gb: 12
    });
  });

  it("reads N/A and missing names and uuids as null or a generic name", () => {
    const json = JSON.stringify({ device_list: [{ device_id: 0, device_name: "N/A" }] });
    expect(ok(parseXpuSmiDiscoveryJson(json))[0]).toMatchObject({ uuid: null, name: "Intel GPU" });
  });

  it("reads an empty device list as no GPUs", () => {
    expect(ok(parseXpuSmiDiscoveryJson('{"device_list": []}'))).toEqual([]);
  });

  it("returns a GpuDriverError carrying xpu-smi's reported error", () => {
    const json = '{\n    "errno": 5,\n    "error": "Level Zero Initialization Error"\n}';
    expect(failure(parseXpuSmiDiscoveryJson(json))).toMatchObject({
      _tag: "GpuDriverError",
      tool: "xpu-smi",
      message: "Level Zero Initialization Error"
    });
  });

  it("returns a GpuOutputError for empty output", () => {
    expect(failure(parseXpuSmiDiscoveryJson("\n"))).toMatchObject({ _tag: "GpuOutputError", message: "xpu-smi printed nothing" });
  });

  it("returns a GpuOutputError for output that is not JSON", () => {
    expect(failure(parseXpuSmiDiscoveryJson("+-----------+")).message).toMatch(/^xpu-smi output is not JSON/);
  });

  it("returns a GpuOutputError for JSON of another shape, naming the command", () => {
    expect(failure(parseXpuSmiDiscoveryJson('{"devices": []}')).message).toMatch(/^not xpu-smi discovery -j output/);
  });

  it("returns a GpuOutputError naming a device without a numeric device_id", () => {
    const error = failure(parseXpuSmiDiscoveryJson('{"device_list": [{"device_name": "x"}]}'));
    expect(error.message).toBe("device_list[0]: device_id undefined is not a device number");
  });
});

describe("parseXpuSmiStatsJson", () => {
  it("reads used memory (MiB), utilization and core temperature for the device", () => {
    expect(ok(parseXpuSmiStatsJson(JSON.stringify(STATS)))).toEqual([
      {
        index: 1,
        uuid: null,
        name: "Intel GPU",
        vram_total_gb: null,
        vram_used_gb: 3,
        vram_available_gb: null,
        utilization_percent: 37,
        temperature_c: 58.5
      }
    ]);
  });

  it("combines figures only the tiles report: memory summed, utilization averaged, temperature maxed", () => {
    const tile = (id: number, used: number, util: number, temp: number) => ({
      tile_id: id,
      data_list: [
        { metrics_type: "XPUM_STATS_MEMORY_USED", value: used },
        { metrics_type: "XPUM_STATS_GPU_UTILIZATION", value: util },
        { metrics_type: "XPUM_STATS_GPU_CORE_TEMPERATURE", value: temp }
      ]
    });
    const json = JSON.stringify({ device_id: 0, device_level: [], tile_level: [tile(0, 1024, 20, 50), tile(1, 2048, 40, 55)] });
    expect(ok(parseXpuSmiStatsJson(json))[0]).toMatchObject({
      vram_used_gb: 3,
      utilization_percent: 30,
      temperature_c: 55
    });
  });

  it("reads metrics the device does not report as null, never 0", () => {
    const json = JSON.stringify({ device_id: 0, device_level: [{ metrics_type: "XPUM_STATS_POWER", value: 20 }] });
    expect(ok(parseXpuSmiStatsJson(json))[0]).toMatchObject({
      vram_used_gb: null,
      utilization_percent: null,
      temperature_c: null
    });
  });

  it("returns a GpuDriverError carrying xpu-smi's reported error", () => {
    expect(failure(parseXpuSmiStatsJson('{"errno": 3, "error": "device not found"}'))).toMatchObject({
      _tag: "GpuDriverError",
      message: "device not found"
    });
  });

  it("returns a GpuOutputError for JSON without a device_id", () => {
    expect(failure(parseXpuSmiStatsJson('{"device_level": []}')).message).toMatch(/^not xpu-smi stats -j output/);
  });

  it("returns a GpuOutputError for empty output", () => {
    expect(failure(parseXpuSmiStatsJson("")).message).toBe("xpu-smi printed nothing");
  });
});
