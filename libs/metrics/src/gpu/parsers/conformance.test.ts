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
import { parseNvidiaXmlText } from "./nvidiaXml.ts";
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
