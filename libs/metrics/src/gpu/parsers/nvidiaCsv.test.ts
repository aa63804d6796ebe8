// CSV samples below are hand-written in nvidia-smi's format (", " separators,
// units in the header and the values unless nounits), not copied captures.
import { Result } from "effect";
import fc from "fast-check";
import type { GpuReading } from "../GpuReading.ts";
import type { GpuParseError } from "./errors.ts";
import { NVIDIA_QUERY_FIELDS, parseNvidiaCsv } from "./nvidiaCsv.ts";

const ok = (result: Result.Result<ReadonlyArray<GpuReading>, GpuParseError>) => Result.getOrThrow(result);
const failure = (result: Result.Result<ReadonlyArray<GpuReading>, GpuParseError>) =>
  Result.getOrThrow(Result.flip(result));

const HEADER =
  "index, uuid, name, memory.total [MiB], memory.used [MiB], memory.free [MiB], utilization.gpu [%], temperature.gpu";

const RTX_3060: GpuReading = {
  index: 0,
  uuid: "GPU-1b2c3d4e-0000-1111-2222-333344445555",
  name: "NVIDIA GeForce RTX 3060",
  vram_total_gb: 12,
  vram_used_gb: 0.5,
  vram_available_gb: 11.25,
  utilization_percent: 3,
  temperature_c: 41
};

describe("parseNvidiaCsv", () => {
  it("reads one GPU from --format=csv output with units", () => {
    const text = `${HEADER}\n0, GPU-1b2c3d4e-0000-1111-2222-333344445555, NVIDIA GeForce RTX 3060, 12288 MiB, 512 MiB, 11520 MiB, 3 %, 41\n`;
    expect(ok(parseNvidiaCsv(text))).toEqual([RTX_3060]);
  });

  it("reads the same figures from --format=csv,nounits output", () => {
    const text = `${HEADER}\n0, GPU-1b2c3d4e-0000-1111-2222-333344445555, NVIDIA GeForce RTX 3060, 12288, 512, 11520, 3, 41\n`;
    expect(ok(parseNvidiaCsv(text))).toEqual([RTX_3060]);
  });

  it("reads every row of a multi-GPU host, taking index from the index column", () => {
    const text = [
      HEADER,
      "1, GPU-b, NVIDIA RTX A4000, 16376 MiB, 8192 MiB, 7900 MiB, 97 %, 70",
      "0, GPU-a, NVIDIA RTX A4000, 16376 MiB, 0 MiB, 16100 MiB, 0 %, 35"
    ].join("\n");
    const readings = ok(parseNvidiaCsv(text));
    expect(readings.map((r) => [r.index, r.uuid, r.vram_used_gb, r.utilization_percent])).toEqual([
      [1, "GPU-b", 8, 97],
      [0, "GPU-a", 0, 0]
    ]);
  });

  it("finds columns by header name whatever their order", () => {
    const values: Record<string, string> = {
      index: "0",
      uuid: "GPU-1b2c3d4e-0000-1111-2222-333344445555",
      name: "NVIDIA GeForce RTX 3060",
      "memory.total [MiB]": "12288 MiB",
      "memory.used [MiB]": "512 MiB",
      "memory.free [MiB]": "11520 MiB",
      "utilization.gpu [%]": "3 %",
      "temperature.gpu": "41",
      "power.draw [W]": "84.24 W"
    };
    fc.assert(
      fc.property(fc.shuffledSubarray(Object.keys(values), { minLength: 9, maxLength: 9 }), (order) => {
        const text = `${order.join(", ")}\n${order.map((h) => values[h]).join(", ")}\n`;
        expect(ok(parseNvidiaCsv(text))).toEqual([RTX_3060]);
      })
    );
  });

  it("reads missing columns as null and takes index from the row position", () => {
    const text = "name, memory.total [MiB]\nTesla T4, 15360 MiB\nTesla T4, 15360 MiB\n";
    expect(ok(parseNvidiaCsv(text))).toEqual([0, 1].map((index) => ({
      index,
      uuid: null,
      name: "Tesla T4",
      vram_total_gb: 15,
      vram_used_gb: null,
      vram_available_gb: null,
      utilization_percent: null,
      temperature_c: null
    })));
  });

  it("computes available as total − used when memory.free is not queried", () => {
    const text = "memory.total [MiB], memory.used [MiB]\n8192 MiB, 2048 MiB\n";
    expect(ok(parseNvidiaCsv(text))[0]?.vram_available_gb).toBe(6);
  });

  it.each([
    "[N/A]",
    "N/A",
    "[Not Supported]",
    "Not Supported",
    "[Requested functionality has been deprecated]",
    "Requested functionality has been deprecated",
    "[Unknown Error]",
    ""
  ])("reads the placeholder %j as null in every figure, never 0", (placeholder) => {
    const text = `${HEADER}\n${placeholder}, ${placeholder}, Quadro P400, ${Array(5).fill(placeholder).join(", ")}\n`;
    expect(ok(parseNvidiaCsv(text))).toEqual([
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
  });

  it("reads noheader output in the field order the caller passes", () => {
    const text = "GPU-x, 41, 3, NVIDIA A2, 15356, 1\nGPU-y, 39, 0, NVIDIA A2, 15356, 0";
    const columns = ["uuid", "temperature.gpu", "utilization.gpu", "name", "memory.total", "index"];
    const readings = ok(parseNvidiaCsv(text, { columns }));
    expect(readings.map((r) => [r.index, r.uuid, r.temperature_c, r.utilization_percent, r.vram_total_gb])).toEqual([
      [1, "GPU-x", 41, 3, 14.996],
      [0, "GPU-y", 39, 0, 14.996]
    ]);
  });

  it("skips nvidia-smi's header when the caller passed columns but the output has one", () => {
    const text = "index, memory.total [MiB]\n0, 4096 MiB\n";
    expect(ok(parseNvidiaCsv(text, { columns: ["index", "memory.total"] }))).toHaveLength(1);
  });

  it("accepts Windows line endings", () => {
    const text = `${HEADER}\r\n0, GPU-w, NVIDIA GeForce RTX 2070, 8192 MiB, 1024 MiB, 7000 MiB, 5 %, 44\r\n`;
    expect(ok(parseNvidiaCsv(text))[0]?.temperature_c).toBe(44);
  });

  it("exports the agent's query fields", () => {
    expect(NVIDIA_QUERY_FIELDS).toEqual([
      "index",
      "uuid",
      "name",
      "memory.total",
      "memory.used",
      "memory.free",
      "utilization.gpu",
      "temperature.gpu"
    ]);
  });

  it.each([
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    "Failed to initialize NVML: Driver/library version mismatch",
    "No devices were found",
    "Unable to determine the device handle for GPU0000:01:00.0: Unknown Error"
  ])("returns a GpuDriverError carrying nvidia-smi's message: %s", (message) => {
    const error = failure(parseNvidiaCsv(`\n${message}\n\n`));
    expect(error).toMatchObject({ _tag: "GpuDriverError", tool: "nvidia-smi", message });
  });

  it("returns a GpuDriverError when one GPU's handle is lost among good rows", () => {
    const text = `${HEADER}\n0, GPU-a, Tesla T4, 15360 MiB, 0 MiB, 14900 MiB, 0 %, 30\nUnable to determine the device handle for GPU0000:3B:00.0: GPU is lost\n`;
    expect(failure(parseNvidiaCsv(text))).toMatchObject({
      _tag: "GpuDriverError",
      message: "Unable to determine the device handle for GPU0000:3B:00.0: GPU is lost"
    });
  });

  it("returns a GpuOutputError for empty output", () => {
    expect(failure(parseNvidiaCsv(" \n"))).toMatchObject({ _tag: "GpuOutputError", message: "nvidia-smi printed nothing" });
  });

  it("returns a GpuOutputError naming a first line that is not a header", () => {
    const error = failure(parseNvidiaCsv('Field "memory.bogus" is not a valid field to query.\n'));
    expect(error._tag).toBe("GpuOutputError");
    expect(error.message).toContain('is not a --query-gpu CSV header');
    expect(error.message).toContain("memory.bogus");
  });

  it("returns a GpuOutputError naming a row whose value count differs from the header", () => {
    const error = failure(parseNvidiaCsv("index, name\n0, Tesla, T4, extra\n"));
    expect(error).toMatchObject({ _tag: "GpuOutputError", message: "line 2 has 4 values but the header has 2 columns" });
  });

  it("returns a GpuOutputError naming a figure that is not a number", () => {
    const error = failure(parseNvidiaCsv("index, memory.used [MiB]\n0, lots MiB\n"));
    expect(error).toMatchObject({ _tag: "GpuOutputError", message: 'line 2, memory.used: "lots MiB" is not a number' });
  });

  it("returns a GpuOutputError for a fractional index", () => {
    expect(failure(parseNvidiaCsv("index\n1.5\n")).message).toContain("is not a GPU index");
  });
});
