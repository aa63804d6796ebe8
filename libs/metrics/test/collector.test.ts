import { readFileSync } from "node:fs";
import os from "node:os";
import { Effect, Fiber } from "effect";
import { TestClock } from "effect/testing";
import {
  makeFakeGpuTools,
  nvidiaCsv,
  NVIDIA_DRIVER_FAILURE,
  RTX_3060,
  RTX_4090,
  runLive,
  runTest,
  until,
  type FakeGpuTools
} from "@homelab/testing";
import { MetricsCollector, metricsLayer, type MetricsSettings } from "../src/index.ts";

let fakes: FakeGpuTools;
beforeEach(() => {
  fakes = makeFakeGpuTools();
});
afterEach(() => {
  for (const pid of [...fakes.pids("nvidia-smi"), ...fakes.pids("rocm-smi"), ...fakes.pids("xpu-smi")]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone: what the tests expect
    }
  }
  fakes.remove();
});

const settings = (overrides: Partial<MetricsSettings> = {}): Partial<MetricsSettings> => ({
  toolEnv: fakes.env,
  drmClassDir: `${fakes.dir}/no-drm`,
  ...overrides
});

const collectWith = (overrides: Partial<MetricsSettings>) =>
  MetricsCollector.use((c) => c.collect).pipe(Effect.provide(metricsLayer(settings(overrides))));

/** Collects `times` times with one collector (so its cache of last good values carries over). */
const collectSeveral = (overrides: Partial<MetricsSettings>, between: Array<() => void>) =>
  Effect.gen(function* () {
    const collector = yield* MetricsCollector;
    const results = [yield* collector.collect];
    for (const step of between) {
      step();
      results.push(yield* collector.collect);
    }
    return results;
  }).pipe(Effect.provide(metricsLayer(settings(overrides))));

describe("MetricsCollector on this machine", () => {
  it("reports load averages, cores and memory from the OS with no GPU backend", async () => {
    const m = await runLive(collectWith({ gpuBackend: "none" }));
    expect(m.cpu_cores_total).toBe(os.availableParallelism());
    for (const load of [m.cpu_load_1min, m.cpu_load_5min, m.cpu_load_15min]) expect(load).toBeGreaterThanOrEqual(0);
    expect(m.cpu_cores_available).toBeCloseTo(Math.max(0, m.cpu_cores_total - m.cpu_load_1min), 1);
    expect(m.memory_total_gb).toBeCloseTo(os.totalmem() / 1024 ** 3, 2);
    expect(m.memory_available_gb).toBeGreaterThan(0);
    expect(m.memory_available_gb).toBeLessThanOrEqual(m.memory_total_gb);
    expect(m.memory_percent).toBeGreaterThan(0);
    expect(m.memory_percent).toBeLessThan(100);
    expect(m).toMatchObject({ gpu_type: "none", gpu_count: 0, gpu_vram_total_gb: 0, gpu_vram_available_gb: 0, gpus: [] });
    expect(m.collection_errors).toEqual([]);
    expect(m.collected_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("uses load averages, not an instantaneous CPU percentage", async () => {
    const m = await runLive(collectWith({ gpuBackend: "none" }));
    const [one, five, fifteen] = os.loadavg();
    expect(m.cpu_load_1min).toBeCloseTo(one ?? -1, 0);
    expect(m.cpu_load_5min).toBeCloseTo(five ?? -1, 0);
    expect(m.cpu_load_15min).toBeCloseTo(fifteen ?? -1, 0);
  });
});

describe("NVIDIA backend with a fake nvidia-smi", () => {
  it("maps --query-gpu CSV to per-GPU VRAM in GB (MiB / 1024) and sums them", async () => {
    fakes.answer("nvidia-smi", { stdout: nvidiaCsv([{ ...RTX_4090, index: 0 }, RTX_3060]) });
    const m = await runLive(collectWith({ gpuBackend: "nvidia" }));
    expect(m.gpu_type).toBe("nvidia");
    expect(m.gpu_count).toBe(2);
    expect(m.gpus[0]).toEqual({
      index: 0,
      uuid: RTX_4090.uuid,
      name: "NVIDIA GeForce RTX 4090",
      vram_total_gb: 23.988,
      vram_used_gb: 1.8,
      vram_available_gb: 21.779,
      utilization_percent: 12,
      temperature_c: 41
    });
    expect(m.gpus[1]).toMatchObject({ index: 1, vram_total_gb: 12, vram_available_gb: 11.529 });
    expect(m.gpu_vram_total_gb).toBeCloseTo(35.988, 3);
    expect(m.gpu_vram_available_gb).toBeCloseTo(33.308, 3);
    expect(m.collection_errors).toEqual([]);
    expect(fakes.calls("nvidia-smi")).toEqual([
      "--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu --format=csv,nounits"
    ]);
  });

  it("reports [N/A] utilization and temperature as null, never 0", async () => {
    fakes.answer("nvidia-smi", { stdout: nvidiaCsv([{ ...RTX_4090, utilization: "[N/A]", temperature: "[N/A]" }]) });
    const m = await runLive(collectWith({ gpuBackend: "nvidia" }));
    expect(m.gpus[0]).toMatchObject({ utilization_percent: null, temperature_c: null, vram_total_gb: 23.988 });
  });

  it("still produces metrics when nvidia-smi is missing, naming the problem", async () => {
    const m = await runLive(collectWith({ gpuBackend: "nvidia" }));
    expect(m).toMatchObject({ gpu_type: "nvidia", gpu_count: 0, gpus: [] });
    expect(m.memory_total_gb).toBeGreaterThan(0);
    expect(m.collection_errors).toEqual([{ source: "gpu:nvidia", message: "nvidia-smi not found on PATH (ENOENT)" }]);
  });

  it("carries nvidia-smi's own message when the driver cannot be reached (exit 9)", async () => {
    fakes.answer("nvidia-smi", { stdout: NVIDIA_DRIVER_FAILURE, exitCode: 9 });
    const m = await runLive(collectWith({ gpuBackend: "nvidia" }));
    expect(m.gpus).toEqual([]);
    expect(m.collection_errors).toHaveLength(1);
    expect(m.collection_errors[0]?.source).toBe("gpu:nvidia");
    expect(m.collection_errors[0]?.message).toContain("exited with 9");
    expect(m.collection_errors[0]?.message).toContain(
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"
    );
  });

  it("kills an nvidia-smi that hangs past the 5 s timeout and reports without it", async () => {
    fakes.hang("nvidia-smi");
    const m = await runTest(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(collectWith({ gpuBackend: "nvidia" }));
        // Receipt, not a sleep: the fake records its pid once it is running.
        yield* Effect.promise(() => waitFor(() => fakes.pids("nvidia-smi").length === 1));
        yield* TestClock.adjust("4999 millis");
        const early = fiber.pollUnsafe();
        yield* TestClock.adjust("1 millis");
        const metrics = yield* Fiber.join(fiber);
        return { early, metrics };
      })
    );
    expect(m.early).toBeUndefined();
    expect(m.metrics.gpus).toEqual([]);
    expect(m.metrics.collection_errors.map((e) => e.message)).toContainEqual(
      expect.stringContaining("did not finish within 5000 ms")
    );
    const [pid] = fakes.pids("nvidia-smi");
    await waitFor(() => !alive(pid ?? 0));
  });

  it("reads the inventory with nvidia-smi -q -x: versions, PCI bus id, MIG and ECC modes, power limit", async () => {
    fakes.answer("nvidia-smi", { stdout: INVENTORY_XML }, "-q");
    const inventory = await runTest(
      MetricsCollector.use((c) => c.inventory).pipe(Effect.provide(metricsLayer(settings({ gpuBackend: "nvidia" }))))
    );
    expect(fakes.calls("nvidia-smi")).toEqual(["-q -x"]);
    expect(inventory).toEqual({
      backend: "nvidia",
      collected_at: "1970-01-01T00:00:00.000Z",
      driver_version: "550.120",
      cuda_version: "12.4",
      gpus: [
        { index: 0, uuid: RTX_4090.uuid, name: RTX_4090.name, pci_bus_id: "00000000:01:00.0", mig_mode: null, mig_devices: 0, ecc_mode: null, power_limit_w: 450 }
      ]
    });
  });

  it("fails the inventory with nvidia-smi's own message when the driver cannot be reached, and gives null for other backends", async () => {
    fakes.answer("nvidia-smi", { stdout: NVIDIA_DRIVER_FAILURE, exitCode: 9 });
    const failed = await runTest(
      MetricsCollector.use((c) => Effect.flip(c.inventory)).pipe(Effect.provide(metricsLayer(settings({ gpuBackend: "nvidia" }))))
    );
    expect(failed.source).toBe("gpu:nvidia");
    expect(failed.message).toContain("couldn't communicate with the NVIDIA driver");
    const none = await runTest(
      MetricsCollector.use((c) => c.inventory).pipe(Effect.provide(metricsLayer(settings({ gpuBackend: "none" }))))
    );
    expect(none).toBeNull();
  });

  it("keeps the last good GPU values, marked stale, when nvidia-smi prints garbage", async () => {
    fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090]) });
    const [good, afterGarbage] = await runLive(
      collectSeveral({ gpuBackend: "nvidia" }, [
        () => fakes.answer("nvidia-smi", { stdout: "\u0000\u0001garbage<<<>>>\nnot,a,csv\n" })
      ])
    );
    expect(good?.gpus).toHaveLength(1);
    expect(afterGarbage?.gpus).toEqual(good?.gpus);
    expect(afterGarbage?.collection_errors).toHaveLength(1);
    expect(afterGarbage?.collection_errors[0]?.message).toMatch(/reporting the last good values from \d{4}-\d\d-\d\dT/);
  });

  it("reports a GPU that appears between two collections", async () => {
    fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090]) });
    const [before, after] = await runLive(
      collectSeveral({ gpuBackend: "nvidia" }, [
        () => fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090, RTX_3060]) })
      ])
    );
    expect(before?.gpu_count).toBe(1);
    expect(after?.gpu_count).toBe(2);
    expect(after?.gpus.map((g) => g.name)).toEqual(["NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3060"]);
    expect(after?.gpu_vram_total_gb).toBeCloseTo(35.988, 3);
  });

  it("kills a tool whose output exceeds the cap", async () => {
    fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090]).repeat(200) });
    const m = await runLive(collectWith({ gpuBackend: "nvidia", maxToolOutputBytes: 4096 }));
    expect(m.gpus).toEqual([]);
    expect(m.collection_errors[0]?.message).toBe("nvidia-smi printed more than 4096 bytes; killed");
  });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
};

const isZombie = (pid: number): boolean => {
  try {
    return /\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** Polls a real-world condition (a process started, a process gone), up to 5 s. */
const waitFor = (condition: () => boolean) => until("condition", condition, 5000);


// The elements the inventory reads, in the shape of `nvidia-smi -q -x` (drivers 530+), hand-written.
const INVENTORY_XML = `<?xml version="1.0" ?>
<nvidia_smi_log>
\t<driver_version>550.120</driver_version>
\t<cuda_version>12.4</cuda_version>
\t<attached_gpus>1</attached_gpus>
\t<gpu id="00000000:01:00.0">
\t\t<product_name>${RTX_4090.name}</product_name>
\t\t<mig_mode><current_mig>N/A</current_mig><pending_mig>N/A</pending_mig></mig_mode>
\t\t<mig_devices>None</mig_devices>
\t\t<uuid>${RTX_4090.uuid}</uuid>
\t\t<pci><pci_bus>01</pci_bus><pci_bus_id>00000000:01:00.0</pci_bus_id></pci>
\t\t<ecc_mode><current_ecc>N/A</current_ecc><pending_ecc>N/A</pending_ecc></ecc_mode>
\t\t<gpu_power_readings><current_power_limit>450.00 W</current_power_limit><default_power_limit>450.00 W</default_power_limit></gpu_power_readings>
\t</gpu>
</nvidia_smi_log>
`;
