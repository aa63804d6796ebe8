// The JSON below is hand-written in the shape of `rocm-smi … --json` (string
// values, cardN keys, a `system` key), not a copied capture.
import { Result } from "effect";
import { parseRocmSmiJson, readingsFromAmdgpuSysfs } from "./rocmSmi.ts";

const ok = <A>(result: Result.Result<A, unknown>) => Result.getOrThrow(result);
const failure = <E>(result: Result.Result<unknown, E>) => Result.getOrThrow(Result.flip(result));

const GIB = 1024 ** 3;

const card = (overrides: Record<string, string> = {}): Record<string, string> => ({
  "Device Name": "Navi 31 [Radeon RX 7900 XT/7900 XTX]",
  "Unique ID": "0x1a2b3c4d5e6f7081",
  "Temperature (Sensor edge) (C)": "52.0",
  "Temperature (Sensor junction) (C)": "60.0",
  "GPU use (%)": "35",
  "VRAM Total Memory (B)": String(24 * GIB),
  "VRAM Total Used Memory (B)": String(6 * GIB),
  "Card Series": "Navi 31 [Radeon RX 7900 XT/7900 XTX]",
  "Card Model": "0x744c",
  ...overrides
});

describe("parseRocmSmiJson", () => {
  it("reads one card, with available = total − used", () => {
    expect(ok(parseRocmSmiJson(JSON.stringify({ card0: card() })))).toEqual([
      {
        index: 0,
        uuid: "0x1a2b3c4d5e6f7081",
        name: "Navi 31 [Radeon RX 7900 XT/7900 XTX]",
        vram_total_gb: 24,
        vram_used_gb: 6,
        vram_available_gb: 18,
        utilization_percent: 35,
        temperature_c: 52
      }
    ]);
  });

  it("reads many cards, indexed by card number and sorted numerically, ignoring other keys", () => {
    const json = JSON.stringify({
      system: { "Driver version": "6.7.0" },
      card10: card({ "Unique ID": "0xa" }),
      card2: card({ "Unique ID": "0x2" }),
      card0: card({ "Unique ID": "0x0" }),
      "card-extra": { note: "not a card" }
    });
    expect(ok(parseRocmSmiJson(json)).map((r) => [r.index, r.uuid])).toEqual([
      [0, "0x0"],
      [2, "0x2"],
      [10, "0xa"]
    ]);
  });

  it("accepts pretty-printed output that starts with an empty line", () => {
    expect(ok(parseRocmSmiJson(`\n${JSON.stringify({ card0: card() }, null, 4)}`))).toHaveLength(1);
  });

  it("names the card from Card series, then Device Name, then Card model, keeping hex ids", () => {
    const named = (c: Record<string, string>) => ok(parseRocmSmiJson(JSON.stringify({ card0: c })))[0]?.name;
    expect(named({ "Card series": "Vega 20 [Radeon VII]", "Device Name": "other", "Card model": "0x66af" })).toBe(
      "Vega 20 [Radeon VII]"
    );
    expect(named({ "Card Series": "N/A", "Device Name": "Navi 21", "Card Model": "0x73bf" })).toBe("Navi 21");
    expect(named({ "Card model": "0xc1e", "Card vendor": "Advanced Micro Devices, Inc. [AMD/ATI]" })).toBe("0xc1e");
    expect(named({ "Card series": "0x1002", "Card model": "0x1002" })).toBe("0x1002");
    expect(named({ "GPU use (%)": "0" })).toBe("AMD GPU");
  });

  it("reads N/A as null, never 0", () => {
    const readings = ok(
      parseRocmSmiJson(
        JSON.stringify({
          card0: card({
            "Unique ID": "N/A",
            "GPU use (%)": "N/A",
            "VRAM Total Memory (B)": "N/A",
            "Temperature (Sensor edge) (C)": "N/A",
            "Temperature (Sensor junction) (C)": "N/A"
          })
        })
      )
    );
    expect(readings[0]).toMatchObject({
      uuid: null,
      utilization_percent: null,
      vram_total_gb: null,
      vram_used_gb: 6,
      vram_available_gb: null,
      temperature_c: null
    });
  });

  it("reads the junction temperature where the edge sensor is N/A", () => {
    const readings = ok(parseRocmSmiJson(JSON.stringify({ card0: card({ "Temperature (Sensor edge) (C)": "N/A" }) })));
    expect(readings[0]?.temperature_c).toBe(60);
  });

  it("reads missing keys as null", () => {
    expect(ok(parseRocmSmiJson(JSON.stringify({ card3: { "Card series": "Arcturus" } })))).toEqual([
      {
        index: 3,
        uuid: null,
        name: "Arcturus",
        vram_total_gb: null,
        vram_used_gb: null,
        vram_available_gb: null,
        utilization_percent: null,
        temperature_c: null
      }
    ]);
  });

  it("converts memory whatever unit the key names", () => {
    const c = { "VRAM Total Memory (MiB)": "16384", "VRAM Total Used Memory (MiB)": "1024" };
    expect(ok(parseRocmSmiJson(JSON.stringify({ card0: c })))[0]).toMatchObject({
      vram_total_gb: 16,
      vram_used_gb: 1,
      vram_available_gb: 15
    });
  });

  it("reads JSON with no card as no GPUs", () => {
    expect(ok(parseRocmSmiJson(JSON.stringify({ system: {} })))).toEqual([]);
  });

  it("returns a GpuDriverError carrying rocm-smi's message when the driver is not loaded", () => {
    const message = "ERROR:root:Driver not initialized (amdgpu not found in modules)";
    expect(failure(parseRocmSmiJson(`${message}\n`))).toEqual(
      expect.objectContaining({ _tag: "GpuDriverError", tool: "rocm-smi", message })
    );
  });

  it("returns a GpuOutputError for empty output", () => {
    expect(failure(parseRocmSmiJson(""))).toMatchObject({ _tag: "GpuOutputError", message: "rocm-smi printed nothing" });
  });

  it("returns a GpuOutputError saying the output is not JSON", () => {
    const error = failure(parseRocmSmiJson("========= ROCm System Management Interface ========="));
    expect(error._tag).toBe("GpuOutputError");
    expect(error.message).toMatch(/^rocm-smi output is not JSON/);
  });

  it("returns a GpuOutputError for JSON that is not an object of cards", () => {
    expect(failure(parseRocmSmiJson("[1, 2]")).message).toBe("rocm-smi output is not a JSON object keyed by card");
    expect(failure(parseRocmSmiJson('{"card0": "busy"}')).message).toBe('"card0" is not an object of card values');
  });

  it("returns a GpuOutputError naming a figure that is not a number", () => {
    const error = failure(parseRocmSmiJson(JSON.stringify({ card1: card({ "GPU use (%)": "busy" }) })));
    expect(error).toMatchObject({ _tag: "GpuOutputError", message: 'card1, "GPU use (%)": "busy" is not a number' });
  });

  it("returns a GpuOutputError for a memory unit it does not know", () => {
    const error = failure(parseRocmSmiJson(JSON.stringify({ card0: { "VRAM Total Memory (pages)": "4" } })));
    expect(error.message).toBe('card0, "VRAM Total Memory (pages)": unknown unit "pages"');
  });
});

describe("readingsFromAmdgpuSysfs", () => {
  it("maps sysfs file contents to readings sorted by card, available = total − used", () => {
    const readings = readingsFromAmdgpuSysfs([
      { index: 1, vram_total_bytes: "8573157376\n", vram_used_bytes: "1073741824", name: "AMD Radeon RX 6600" },
      { index: 0, vram_total_bytes: String(16 * GIB), vram_used_bytes: String(4 * GIB), name: null }
    ]);
    expect(readings).toEqual([
      {
        index: 0,
        uuid: null,
        name: "AMD GPU",
        vram_total_gb: 16,
        vram_used_gb: 4,
        vram_available_gb: 12,
        utilization_percent: null,
        temperature_c: null
      },
      {
        index: 1,
        uuid: null,
        name: "AMD Radeon RX 6600",
        vram_total_gb: 7.984,
        vram_used_gb: 1,
        vram_available_gb: 6.984,
        utilization_percent: null,
        temperature_c: null
      }
    ]);
  });

  it("reads missing or unreadable files as null", () => {
    const [reading] = readingsFromAmdgpuSysfs([{ index: 0, vram_total_bytes: "garbage", vram_used_bytes: null, name: "" }]);
    expect(reading).toMatchObject({ name: "AMD GPU", vram_total_gb: null, vram_used_gb: null, vram_available_gb: null });
  });
});
