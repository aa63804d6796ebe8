// The XML below is hand-written in the shape of `nvidia-smi -q -x` (only the
// elements the parsers read, plus a few neighbours), not a copied capture.
import { Result } from "effect";
import type { GpuReading } from "../GpuReading.ts";
import {
  nvidiaInventoryFromJson,
  parseNvidiaXmlDocument,
  parseNvidiaXmlText,
  readingsFromNvidiaSmiJson
} from "./nvidiaXml.ts";

const ok = <A>(result: Result.Result<A, unknown>) => Result.getOrThrow(result);
const failure = <E>(result: Result.Result<unknown, E>) => Result.getOrThrow(Result.flip(result));

interface GpuXml {
  readonly name?: string;
  readonly uuid?: string;
  readonly total?: string;
  readonly used?: string;
  readonly free?: string;
  readonly util?: string;
  readonly temp?: string;
  readonly mig?: string;
  readonly migDevices?: string;
}

const gpuXml = (g: GpuXml, busId: string) => `
\t<gpu id="${busId}">
${g.name === undefined ? "" : `\t\t<product_name>${g.name}</product_name>\n`}\t\t<product_brand>NVIDIA</product_brand>
\t\t<mig_mode>
\t\t\t<current_mig>${g.mig ?? "N/A"}</current_mig>
\t\t\t<pending_mig>${g.mig ?? "N/A"}</pending_mig>
\t\t</mig_mode>
\t\t<mig_devices>${g.migDevices ?? "\n\t\t\tNone\n\t\t"}</mig_devices>
${g.uuid === undefined ? "" : `\t\t<uuid>${g.uuid}</uuid>\n`}\t\t<minor_number>N/A</minor_number>
\t\t<fb_memory_usage>
\t\t\t<total>${g.total ?? "N/A"}</total>
\t\t\t<reserved>300 MiB</reserved>
\t\t\t<used>${g.used ?? "N/A"}</used>
\t\t\t<free>${g.free ?? "N/A"}</free>
\t\t</fb_memory_usage>
\t\t<utilization>
\t\t\t<gpu_util>${g.util ?? "N/A"}</gpu_util>
\t\t\t<memory_util>0 %</memory_util>
\t\t</utilization>
\t\t<temperature>
\t\t\t<gpu_temp>${g.temp ?? "N/A"}</gpu_temp>
\t\t\t<gpu_temp_max_threshold>98 C</gpu_temp_max_threshold>
\t\t</temperature>
\t</gpu>
`;

const logXml = (gpus: ReadonlyArray<GpuXml>) => `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
\t<timestamp>Mon Jan  6 10:00:00 2025</timestamp>
\t<driver_version>550.120</driver_version>
\t<cuda_version>12.4</cuda_version>
\t<attached_gpus>${gpus.length}</attached_gpus>
${gpus.map((g, i) => gpuXml(g, `00000000:0${i + 1}:00.0`)).join("")}
</nvidia_smi_log>
`;

const T4: GpuXml = {
  name: "Tesla T4",
  uuid: "GPU-0a1b2c3d-aaaa-bbbb-cccc-000000000001",
  total: "15360 MiB",
  used: "1024 MiB",
  free: "13900 MiB",
  util: "12 %",
  temp: "48 C"
};

const T4_READING: GpuReading = {
  index: 0,
  uuid: "GPU-0a1b2c3d-aaaa-bbbb-cccc-000000000001",
  name: "Tesla T4",
  vram_total_gb: 15,
  vram_used_gb: 1,
  // nvidia-smi's own free figure (it excludes reserved memory), not total − used
  vram_available_gb: 13.574,
  utilization_percent: 12,
  temperature_c: 48
};

// A MIG device with its own, smaller fb_memory_usage, which must not be read as the GPU's.
const migDevice = (index: number) => `
\t\t\t<mig_device>
\t\t\t\t<index>${index}</index>
\t\t\t\t<gpu_instance_id>${index + 1}</gpu_instance_id>
\t\t\t\t<fb_memory_usage>
\t\t\t\t\t<total>9856 MiB</total>
\t\t\t\t\t<used>7 MiB</used>
\t\t\t\t\t<free>9849 MiB</free>
\t\t\t\t</fb_memory_usage>
\t\t\t</mig_device>`;

const A100_MIG: GpuXml = {
  name: "NVIDIA A100-PCIE-40GB",
  uuid: "GPU-mig-parent",
  total: "40960 MiB",
  used: "37 MiB",
  free: "40323 MiB",
  util: "N/A",
  temp: "31 C",
  mig: "Enabled",
  migDevices: `${migDevice(0)}${migDevice(1)}${migDevice(2)}\n\t\t`
};

describe("parseNvidiaXmlText", () => {
  it("reads one GPU (xml2js gives an object, not an array)", () => {
    expect(ok(parseNvidiaXmlText(logXml([T4])))).toEqual([T4_READING]);
  });

  it("reads several GPUs, indexed by their position in the document", () => {
    const second = { ...T4, uuid: "GPU-second", used: "0 MiB", free: "14900 MiB", temp: "39 C" };
    const readings = ok(parseNvidiaXmlText(logXml([T4, second])));
    expect(readings.map((r) => [r.index, r.uuid, r.vram_used_gb, r.vram_available_gb, r.temperature_c])).toEqual([
      [0, "GPU-0a1b2c3d-aaaa-bbbb-cccc-000000000001", 1, 13.574, 48],
      [1, "GPU-second", 0, 14.551, 39]
    ]);
  });

  it("reads a MIG-enabled GPU as one entry with the parent's own memory and N/A utilization as null", () => {
    expect(ok(parseNvidiaXmlText(logXml([A100_MIG])))).toEqual([
      {
        index: 0,
        uuid: "GPU-mig-parent",
        name: "NVIDIA A100-PCIE-40GB",
        vram_total_gb: 40,
        vram_used_gb: 0.036,
        vram_available_gb: 39.378,
        utilization_percent: null,
        temperature_c: 31
      }
    ]);
  });

  it.each(["N/A", "[N/A]", "Not Supported", "Requested functionality has been deprecated", "[Unknown Error]"])(
    "reads the placeholder %j as null, never 0",
    (placeholder) => {
      const gpu = { name: "Quadro P400", total: placeholder, used: placeholder, free: placeholder, util: placeholder, temp: placeholder, uuid: placeholder };
      expect(ok(parseNvidiaXmlText(logXml([gpu])))).toEqual([
        {
          index: 0,
          uuid: null,
          name: "Quadro P400",
          vram_total_gb: null,
          vram_used_gb: null,
          vram_available_gb: null,
          utilization_percent: null,
          temperature_c: null
        }
      ]);
    }
  );

  it("reads missing elements as null and a missing product_name as a generic name", () => {
    const xml = "<nvidia_smi_log><gpu id=\"00000000:01:00.0\"><uuid>GPU-bare</uuid></gpu></nvidia_smi_log>";
    expect(ok(parseNvidiaXmlText(xml))).toEqual([
      {
        index: 0,
        uuid: "GPU-bare",
        name: "NVIDIA GPU",
        vram_total_gb: null,
        vram_used_gb: null,
        vram_available_gb: null,
        utilization_percent: null,
        temperature_c: null
      }
    ]);
  });

  it("reads a log with no <gpu> element as no GPUs", () => {
    expect(ok(parseNvidiaXmlText(logXml([])))).toEqual([]);
  });

  it("returns a GpuDriverError carrying nvidia-smi's message instead of XML", () => {
    const message =
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";
    expect(failure(parseNvidiaXmlText(`${message}\n\n`))).toMatchObject({ _tag: "GpuDriverError", tool: "nvidia-smi", message });
  });

  it("returns a GpuOutputError for empty output", () => {
    expect(failure(parseNvidiaXmlText("\n"))).toMatchObject({ _tag: "GpuOutputError", message: "nvidia-smi printed nothing" });
  });

  it("returns a GpuOutputError saying the output is not XML", () => {
    const error = failure(parseNvidiaXmlText("segmentation fault (core dumped)"));
    expect(error._tag).toBe("GpuOutputError");
    expect(error.message).toMatch(/^nvidia-smi -q -x output is not XML: /);
  });

  it("returns a GpuOutputError for truncated XML", () => {
    const xml = logXml([T4]);
    expect(failure(parseNvidiaXmlText(xml.slice(0, xml.length / 2))).message).toMatch(/is not XML/);
  });

  it("returns a GpuOutputError for XML that is not an nvidia-smi log", () => {
    const error = failure(parseNvidiaXmlText("<rocm><card/></rocm>"));
    expect(error.message).toMatch(/^not nvidia-smi -q -x output \(expected an <nvidia_smi_log> element\)/);
  });

  it("returns a GpuOutputError naming a figure that is not a number", () => {
    const error = failure(parseNvidiaXmlText(logXml([{ ...T4, used: "lots" }])));
    expect(error).toMatchObject({ _tag: "GpuOutputError", message: 'gpu 0, fb_memory_usage.used: "lots" is not a number' });
  });
});

describe("readingsFromNvidiaSmiJson", () => {
  it("maps the structure node-nvidia-smi hands its callback", () => {
    const fromNodeNvidiaSmi = {
      nvidia_smi_log: {
        driver_version: "535.104.05",
        attached_gpus: "1",
        gpu: {
          $: { id: "00000000:01:00.0" },
          product_name: "NVIDIA L4",
          uuid: "GPU-l4",
          fb_memory_usage: { total: "23034 MiB", reserved: "434 MiB", used: "0 MiB", free: "22599 MiB" },
          utilization: { gpu_util: "0 %" },
          temperature: { gpu_temp: "33 C" }
        }
      }
    };
    expect(ok(readingsFromNvidiaSmiJson(fromNodeNvidiaSmi))).toEqual([
      {
        index: 0,
        uuid: "GPU-l4",
        name: "NVIDIA L4",
        vram_total_gb: 22.494,
        vram_used_gb: 0,
        vram_available_gb: 22.069,
        utilization_percent: 0,
        temperature_c: 33
      }
    ]);
  });

  it.each([null, "text", [], { nvidia_smi_log: "" }, { nvidia_smi_log: { gpu: "oops" } }])(
    "returns a GpuOutputError for %j",
    (data) => {
      expect(failure(readingsFromNvidiaSmiJson(data))._tag).toBe("GpuOutputError");
    }
  );
});

describe("nvidiaInventoryFromJson", () => {
  it("reads versions, MIG mode and MIG device counts per GPU", () => {
    const data = ok(parseNvidiaXmlDocument(logXml([T4, A100_MIG, { ...A100_MIG, uuid: "GPU-one-mig", migDevices: migDevice(0) }])));
    expect(nvidiaInventoryFromJson(data)).toEqual({
      driver_version: "550.120",
      cuda_version: "12.4",
      gpus: [
        { index: 0, uuid: "GPU-0a1b2c3d-aaaa-bbbb-cccc-000000000001", name: "Tesla T4", pci_bus_id: "00000000:01:00.0", mig_mode: null, mig_devices: 0, ecc_mode: null, power_limit_w: null },
        { index: 1, uuid: "GPU-mig-parent", name: "NVIDIA A100-PCIE-40GB", pci_bus_id: "00000000:02:00.0", mig_mode: "Enabled", mig_devices: 3, ecc_mode: null, power_limit_w: null },
        { index: 2, uuid: "GPU-one-mig", name: "NVIDIA A100-PCIE-40GB", pci_bus_id: "00000000:03:00.0", mig_mode: "Enabled", mig_devices: 1, ecc_mode: null, power_limit_w: null }
      ]
    });
  });

  it("reads the power limit in force: current_power_limit (drivers 530+), else enforced_power_limit, else power_limit; a placeholder as null", () => {
    const withPower = (power: string) =>
      logXml([T4]).replace("<product_brand>NVIDIA</product_brand>", `<product_brand>NVIDIA</product_brand>\n${power}`);
    const limit = (power: string) => nvidiaInventoryFromJson(ok(parseNvidiaXmlDocument(withPower(power)))).gpus[0]?.power_limit_w;
    expect(limit("<gpu_power_readings><current_power_limit>175.00 W</current_power_limit></gpu_power_readings><module_power_readings><current_power_limit>N/A</current_power_limit></module_power_readings>")).toBe(175);
    expect(limit("<power_readings><power_limit>250.00 W</power_limit><enforced_power_limit>200.00 W</enforced_power_limit></power_readings>")).toBe(200);
    expect(limit("<power_readings><power_limit>250.00 W</power_limit></power_readings>")).toBe(250);
    expect(limit("<power_readings><power_limit>[Not Supported]</power_limit><enforced_power_limit>N/A</enforced_power_limit></power_readings>")).toBeNull();
  });

  it("reads the PCI bus id from <pci> before the <gpu id> attribute, and ECC mode with N/A as null", () => {
    const xml = logXml([T4]).replace(
      "<product_brand>NVIDIA</product_brand>",
      "<product_brand>NVIDIA</product_brand>\n<pci><pci_bus_id>00000000:65:00.0</pci_bus_id></pci><ecc_mode><current_ecc>Disabled</current_ecc></ecc_mode>"
    );
    const [gpu] = nvidiaInventoryFromJson(ok(parseNvidiaXmlDocument(xml))).gpus;
    expect([gpu?.pci_bus_id, gpu?.ecc_mode]).toEqual(["00000000:65:00.0", "Disabled"]);
    const na = logXml([T4]).replace("<product_brand>NVIDIA</product_brand>", "<product_brand>NVIDIA</product_brand>\n<ecc_mode><current_ecc>N/A</current_ecc></ecc_mode>");
    expect(nvidiaInventoryFromJson(ok(parseNvidiaXmlDocument(na))).gpus[0]?.ecc_mode).toBeNull();
  });

  it("reads placeholder and missing versions as null", () => {
    expect(nvidiaInventoryFromJson({ nvidia_smi_log: { driver_version: "N/A" } })).toEqual({
      driver_version: null,
      cuda_version: null,
      gpus: []
    });
  });

  it("gives nulls and no GPUs for a structure that is not an nvidia-smi log", () => {
    expect(nvidiaInventoryFromJson({ something: "else" })).toEqual({ driver_version: null, cuda_version: null, gpus: [] });
  });
});
