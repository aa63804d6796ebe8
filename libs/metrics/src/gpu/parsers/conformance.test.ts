// Conformance against real tool outputs: every `<fixture>.expected.json` under
// the shared GPU fixtures (third-party data, read in place, never copied into
// the repository) is run through the parser its `backend` names.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Result, Schema } from "effect";
import { fixturesPolicy, gpuFixturesDir, missingFixturesError } from "@homelab/testing";
import type { GpuReading } from "../GpuReading.ts";
import type { GpuParseError } from "./errors.ts";
import { parseNvidiaCsv } from "./nvidiaCsv.ts";
import { nvidiaInventoryFromJson, parseNvidiaXmlDocument, parseNvidiaXmlText } from "./nvidiaXml.ts";
import { parseRocmSmiJson } from "./rocmSmi.ts";
import { parseXpuSmiDiscoveryJson } from "./xpuSmi.ts";

const findRepoRoot = (from: string): string => {
  const parent = path.dirname(from);
  if (existsSync(path.join(from, "nx.json"))) return from;
  if (parent === from) throw new Error(`no nx.json above ${__dirname}`);
  return findRepoRoot(parent);
};

const fixturesDir = gpuFixturesDir(findRepoRoot(__dirname));

const ExpectedGpu = Schema.Struct({
  index: Schema.Number,
  uuid: Schema.NullOr(Schema.String),
  name: Schema.String,
  vram_total_gb: Schema.NullOr(Schema.Number),
  vram_used_gb: Schema.NullOr(Schema.Number),
  vram_available_gb: Schema.NullOr(Schema.Number),
  utilization_percent: Schema.NullOr(Schema.Number),
  temperature_c: Schema.NullOr(Schema.Number)
});
const Expected = Schema.Struct({
  backend: Schema.Literals(["nvidia-xml", "nvidia-csv", "rocm-smi-json", "xpu-smi-json", "nvidia-error"]),
  gpus: Schema.Array(ExpectedGpu),
  error: Schema.optionalKey(Schema.Boolean)
});
const decodeExpected = Schema.decodeUnknownSync(Schema.fromJsonString(Expected));

const GB_FIELDS = new Set(["vram_total_gb", "vram_used_gb", "vram_available_gb"]);
const FIELDS: ReadonlyArray<keyof GpuReading> = [
  "index",
  "uuid",
  "name",
  "vram_total_gb",
  "vram_used_gb",
  "vram_available_gb",
  "utilization_percent",
  "temperature_c"
];

/** Every difference between the readings and the expected GPUs, one line each ("" when none). */
const differences = (actual: ReadonlyArray<GpuReading>, expected: ReadonlyArray<GpuReading>): ReadonlyArray<string> => {
  if (actual.length !== expected.length) return [`${actual.length} GPUs read, ${expected.length} expected`];
  return expected.flatMap((want, i) =>
    FIELDS.flatMap((field) => {
      const got = actual[i]?.[field];
      const close =
        GB_FIELDS.has(field) && typeof got === "number" && typeof want[field] === "number"
          ? Math.abs(got - Number(want[field])) <= 0.01
          : got === want[field];
      return close ? [] : [`gpu ${i} ${field}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want[field])}`];
    })
  );
};

/**
 * The `--query-gpu` field order of a noheader CSV, from the fixture's entry
 * in SOURCES.md (its Command line); undefined when the entry's command has a header.
 */
const noheaderColumns = (relative: string): ReadonlyArray<string> | undefined => {
  const sources = readFileSync(path.join(fixturesDir, "SOURCES.md"), "utf8");
  const start = sources.indexOf(`\`${relative}\``);
  if (start === -1) throw new Error(`SOURCES.md has no entry for ${relative}`);
  const entry = sources.slice(start).split(/\n- \*\*`|\n#/)[0] ?? "";
  const format = /--format=([^\s`]+)/.exec(entry)?.[1];
  if (format === undefined || !format.split(",").includes("noheader")) return undefined;
  const fields = /--query-gpu=([^\s`]+)/.exec(entry)?.[1];
  if (fields === undefined) throw new Error(`SOURCES.md's entry for ${relative} has noheader but no --query-gpu list`);
  return fields.split(",");
};

const expectDriverError = (result: Result.Result<ReadonlyArray<GpuReading>, GpuParseError>, text: string) => {
  const error = Result.getOrThrow(Result.flip(result));
  expect(error._tag).toBe("GpuDriverError");
  expect(error.tool).toBe("nvidia-smi");
  expect(error.message).toContain(text.trim());
};

const check = (relative: string) => {
  const fixture = path.join(fixturesDir, relative);
  const expected = decodeExpected(readFileSync(`${fixture}.expected.json`, "utf8"));
  const text = readFileSync(fixture, "utf8");
  switch (expected.backend) {
    case "nvidia-error":
      expect(expected.gpus).toEqual([]);
      expectDriverError(parseNvidiaCsv(text), text);
      expectDriverError(parseNvidiaXmlText(text), text);
      return;
    case "nvidia-xml":
      return expect(differences(Result.getOrThrow(parseNvidiaXmlText(text)), expected.gpus)).toEqual([]);
    case "nvidia-csv": {
      const columns = noheaderColumns(relative);
      const readings = parseNvidiaCsv(text, columns === undefined ? {} : { columns });
      return expect(differences(Result.getOrThrow(readings), expected.gpus)).toEqual([]);
    }
    case "rocm-smi-json":
      return expect(differences(Result.getOrThrow(parseRocmSmiJson(text)), expected.gpus)).toEqual([]);
    case "xpu-smi-json":
      return expect(differences(Result.getOrThrow(parseXpuSmiDiscoveryJson(text)), expected.gpus)).toEqual([]);
  }
};

describe("GPU parsers against real tool outputs", () => {
  const policy = fixturesPolicy(fixturesDir, "the conformance suite");
  if (policy === "fail") {
    it("finds the conformance fixtures", () => {
      throw missingFixturesError(fixturesDir);
    });
    return;
  }
  if (policy === "skip") {
    it.skip(`conformance fixtures (missing: ${fixturesDir})`, () => undefined);
    return;
  }
  const expectedFiles = readdirSync(fixturesDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".expected.json"))
    .map((file) => file.slice(0, -".expected.json".length))
    .sort();
  if (expectedFiles.length === 0) {
    it("finds conformance fixtures", () => {
      throw new Error(`${fixturesDir} exists but holds no *.expected.json file`);
    });
    return;
  }
  it.each(expectedFiles)("%s", check);
});

/**
 * The inventory (`nvidia-smi -q -x`) of each real capture, read by hand from
 * the files (the expected.json files cover only the per-heartbeat figures):
 * driver and CUDA versions, then per GPU its PCI bus id, MIG mode and device
 * count, ECC mode and the power limit in force. Drivers before 530 print
 * `power_readings.enforced_power_limit`, later ones `gpu_power_readings.current_power_limit`.
 */
const INVENTORIES: ReadonlyArray<readonly [string, string | null, string | null, ReadonlyArray<readonly [string | null, string | null, number, string | null, number | null]>]> = [
  ["microsoft-pai__rtx2080ti-x2__410.73.xml", "410.73", "10.0", [["00000000:02:00.0", null, 0, null, 250], ["00000000:03:00.0", null, 0, null, 250]]],
  ["netdata__rtx-2080-win.xml", "516.59", "11.7", [["00000000:0A:00.0", null, 0, null, 275]]],
  ["telegraf-pr18176__dual_2070-v13.xml", "590.44.01", "13.1", [["00000000:01:00.0", null, 0, null, 175], ["00000000:02:00.0", null, 0, null, 175]]],
  ["telegraf__a100-sxm4-80gb-mig__TRIMMED-1-of-4-gpus.xml", "535.54.03", "12.2", [["00000000:01:00.0", "Enabled", 4, "Enabled", 500]]],
  ["telegraf__a10g.xml", "515.105.01", "11.7", [["00000000:00:1E.0", null, 0, "Enabled", 300]]],
  // Trimmed to a few elements: no versions, no <pci>; the bus id comes from the <gpu id> attribute.
  ["telegraf__gtx-1070-ti__TRIMMED.xml", null, null, [["00000000:01:00.0", null, 0, null, null]]],
  ["telegraf__gtx-1660-ti.xml", "418.43", "10.1", [["00000000:43:00.0", null, 0, null, 130]]],
  ["telegraf__quadro-p2000-v12.xml", "525.125.06", "12.0", [["00000000:17:00.0", null, 0, null, 75]]],
  ["telegraf__quadro-p400.xml", "418.43", "10.1", [["00000000:43:00.0", null, 0, null, null]]],
  ["telegraf__rtx-3060-v12.xml", "570.124.04", "12.8", [["00000000:2D:00.0", null, 0, null, 170]]],
  ["telegraf__rtx-3080-v12.xml", "536.40", "12.2", [["00000000:04:00.0", null, 0, null, 336]]],
  ["telegraf__rtx-3080-v13.xml", "595.58.03", "13.2", [["00000000:0C:00.0", null, 0, null, 320]]],
  ["telegraf__rtx-3090-v12.xml", "525.147.05", "12.0", [["00000000:00:10.0", null, 0, null, 200]]],
  ["telegraf__rtx-4000-sff-ada-v13.xml", "595.84", "13.2", [["00000000:06:00.0", null, 0, "Disabled", 70]]],
  ["telegraf__tesla-t4.xml", "515.105.01", "11.7", [["00000000:00:1E.0", null, 0, "Enabled", 70]]]
];

describe("NVIDIA inventory against real nvidia-smi -q -x captures", () => {
  const xmlDir = path.join(fixturesDir, "nvidia-smi-q-x-xml");
  if (fixturesPolicy(fixturesDir, "the conformance suite") !== "run") {
    it.skip(`inventory fixtures (missing: ${xmlDir})`, () => undefined);
    return;
  }
  it("covers every capture in the fixtures", () => {
    const captures = readdirSync(xmlDir).filter((f) => f.endsWith(".xml")).sort();
    expect(INVENTORIES.map(([file]) => file).sort()).toEqual(captures);
  });
  it.each(INVENTORIES)("%s", (file, driver, cuda, gpus) => {
    const data = Result.getOrThrow(parseNvidiaXmlDocument(readFileSync(path.join(xmlDir, file), "utf8")));
    const inventory = nvidiaInventoryFromJson(data);
    expect([inventory.driver_version, inventory.cuda_version]).toEqual([driver, cuda]);
    expect(inventory.gpus.map((g) => [g.pci_bus_id, g.mig_mode, g.mig_devices, g.ecc_mode, g.power_limit_w])).toEqual(gpus);
  });
});
