// Every tool answer below is hand-written in the shape the real tool prints
// (rocm-smi 6.x one-line JSON, xpu-smi's JSON, amdgpu's sysfs files).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Effect } from "effect";
import { makeFakeGpuTools, nvidiaCsv, NVIDIA_DRIVER_FAILURE, RTX_4090, runLive, type FakeGpuTools } from "@homelab/testing";
import { CommandRunner } from "@homelab/process";
import {
  defaultMetricsSettings,
  detectGpuType as detectWith,
  MetricsCollector,
  metricsLayer,
  type MetricsSettings
} from "../src/index.ts";

const detectGpuType = (s: MetricsSettings) => detectWith(s).pipe(Effect.provide(CommandRunner.layer));

const GIB = 1024 ** 3;

const ROCM_SMI_OUTPUT = JSON.stringify({
  card0: {
    "Temperature (Sensor edge) (C)": "45.0",
    "Temperature (Sensor junction) (C)": "49.0",
    "GPU use (%)": "3",
    "VRAM Total Memory (B)": String(16 * GIB),
    "VRAM Total Used Memory (B)": String(2 * GIB),
    "Card Series": "Navi 32 [Radeon RX 7700 XT / 7800 XT]",
    "Card Model": "0x747e",
    "Unique ID": "0x8e1d2a3b4c5d6e7f"
  },
  system: { "Driver version": "6.8.0" }
});

const xpuDevice = {
  device_id: 0,
  device_name: "Intel(R) Arc(TM) A770 Graphics",
  device_type: "GPU",
  pci_bdf_address: "0000:03:00.0",
  pci_device_id: "0x56a0",
  uuid: "00000000-0000-0000-0000-56a000000300",
  vendor_name: "Intel(R) Corporation"
};

let fakes: FakeGpuTools;
beforeEach(() => {
  fakes = makeFakeGpuTools();
});
afterEach(() => fakes.remove());

const settings = (overrides: Partial<MetricsSettings> = {}): MetricsSettings => ({
  ...defaultMetricsSettings,
  toolEnv: fakes.env,
  drmClassDir: path.join(fakes.dir, "drm"),
  ...overrides
});

const collect = (overrides: Partial<MetricsSettings>) =>
  runLive(MetricsCollector.use((c) => c.collect).pipe(Effect.provide(metricsLayer(settings(overrides)))));

const amdgpuCard = (card: string, files: Record<string, string>) => {
  const device = path.join(fakes.dir, "drm", card, "device");
  mkdirSync(device, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(device, name), text);
};

describe("GPU_BACKEND=auto", () => {
  it("detects none when no GPU tool and no amdgpu card exist", async () => {
    expect(await runLive(detectGpuType(settings()))).toBe("none");
  });

  it("prefers nvidia when nvidia-smi answers, even if rocm-smi is present too", async () => {
    fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090]) });
    fakes.answer("rocm-smi", { stdout: ROCM_SMI_OUTPUT });
    expect(await runLive(detectGpuType(settings()))).toBe("nvidia");
  });

  it("keeps nvidia when nvidia-smi is present but its driver fails, so the failure is reported", async () => {
    fakes.answer("nvidia-smi", { stdout: NVIDIA_DRIVER_FAILURE, exitCode: 9 });
    fakes.answer("rocm-smi", { stdout: ROCM_SMI_OUTPUT });
    expect(await runLive(detectGpuType(settings()))).toBe("nvidia");
  });

  it("detects amd from rocm-smi, or from amdgpu's sysfs files alone", async () => {
    fakes.answer("rocm-smi", { stdout: ROCM_SMI_OUTPUT });
    expect(await runLive(detectGpuType(settings()))).toBe("amd");
    const sysfsOnly = makeFakeGpuTools();
    try {
      amdgpuCard("card1", { mem_info_vram_total: String(8 * GIB), mem_info_vram_used: String(GIB) });
      expect(
        await runLive(detectGpuType({ ...settings(), toolEnv: sysfsOnly.env, drmClassDir: path.join(fakes.dir, "drm") }))
      ).toBe("amd");
    } finally {
      sysfsOnly.remove();
    }
  });

  it("detects intel from xpu-smi", async () => {
    fakes.answer("xpu-smi", { stdout: JSON.stringify({ device_list: [xpuDevice] }) }, "discovery");
    expect(await runLive(detectGpuType(settings()))).toBe("intel");
  });
});

describe("AMD backend", () => {
  it("reads rocm-smi's JSON: VRAM in GB, available = total − used, utilization and temperature", async () => {
    fakes.answer("rocm-smi", { stdout: ROCM_SMI_OUTPUT });
    const m = await collect({ gpuBackend: "amd" });
    expect(m).toMatchObject({ gpu_type: "amd", gpu_count: 1, gpu_vram_total_gb: 16, gpu_vram_available_gb: 14 });
    expect(m.gpus[0]).toEqual({
      index: 0,
      uuid: "0x8e1d2a3b4c5d6e7f",
      name: "Navi 32 [Radeon RX 7700 XT / 7800 XT]",
      vram_total_gb: 16,
      vram_used_gb: 2,
      vram_available_gb: 14,
      utilization_percent: 3,
      temperature_c: 45
    });
    expect(m.collection_errors).toEqual([]);
    expect(fakes.calls("rocm-smi")).toEqual([
      "--showmeminfo vram --showuse --showtemp --showproductname --showuniqueid --json"
    ]);
  });

  it("falls back to amdgpu's sysfs files when rocm-smi is missing", async () => {
    amdgpuCard("card0", { mem_info_vram_total: `${8 * GIB}\n`, mem_info_vram_used: `${2 * GIB}\n` });
    amdgpuCard("card2", { mem_info_vram_total: `${4 * GIB}\n`, mem_info_vram_used: "0\n" });
    mkdirSync(path.join(fakes.dir, "drm", "card1-DP-1"), { recursive: true });
    const m = await collect({ gpuBackend: "amd" });
    expect(m.gpus.map((g) => [g.index, g.vram_total_gb, g.vram_available_gb])).toEqual([
      [0, 8, 6],
      [2, 4, 4]
    ]);
    expect(m.gpus[0]).toMatchObject({ utilization_percent: null, temperature_c: null });
    expect(m.collection_errors).toEqual([]);
  });

  it("names both failures when rocm-smi prints garbage and no amdgpu card exists", async () => {
    fakes.answer("rocm-smi", { stdout: "Traceback (most recent call last):\n  File rocm_smi.py\n" });
    const m = await collect({ gpuBackend: "amd" });
    expect(m.gpus).toEqual([]);
    expect(m.collection_errors).toHaveLength(1);
    expect(m.collection_errors[0]?.message).toMatch(/^rocm-smi output is not JSON.*; sysfs fallback: cannot read .*drm/s);
  });
});

describe("Intel backend", () => {
  it("combines discovery, per-device discovery (memory) and stats (use, temperature)", async () => {
    fakes.answer("xpu-smi", { stdout: JSON.stringify({ device_list: [xpuDevice] }) }, "discovery");
    fakes.answer(
      "xpu-smi",
      {
        stdout: JSON.stringify({
          ...xpuDevice,
          memory_physical_size_byte: String(16 * GIB),
          memory_free_size_byte: String(12 * GIB)
        })
      },
      "discovery -d"
    );
    fakes.answer(
      "xpu-smi",
      {
        stdout: JSON.stringify({
          device_id: 0,
          device_level: [
            { metrics_type: "XPUM_STATS_GPU_UTILIZATION", value: 41 },
            { metrics_type: "XPUM_STATS_GPU_CORE_TEMPERATURE", value: 63 },
            { metrics_type: "XPUM_STATS_MEMORY_USED", value: 4096 }
          ]
        })
      },
      "stats"
    );
    const m = await collect({ gpuBackend: "intel" });
    expect(m.gpu_type).toBe("intel");
    expect(m.gpus[0]).toMatchObject({
      index: 0,
      name: "Intel(R) Arc(TM) A770 Graphics",
      vram_total_gb: 16,
      vram_used_gb: 4,
      vram_available_gb: 12,
      utilization_percent: 41,
      temperature_c: 63
    });
    expect(fakes.calls("xpu-smi")).toEqual(["discovery -j", "discovery -d 0 -j", "stats -d 0 -j"]);
  });

  it("reports xpu-smi's own error when Level Zero cannot initialise", async () => {
    fakes.answer("xpu-smi", { stdout: JSON.stringify({ error: "Level Zero Initialization Error", errno: 1 }) }, "discovery");
    const m = await collect({ gpuBackend: "intel" });
    expect(m.gpus).toEqual([]);
    expect(m.collection_errors[0]?.message).toContain("Level Zero Initialization Error");
  });
});
