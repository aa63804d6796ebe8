import { Result, Schema } from "effect";
import type { GpuReading } from "../GpuReading.ts";
import { GpuDriverError, GpuOutputError, type GpuParseError } from "./errors.ts";
import { isPlaceholder, parseNumber, parseNumberStrict, textOrNull } from "./placeholders.ts";
import { vramGb } from "./vram.ts";

/** The name a reading carries when neither rocm-smi nor sysfs names the card. */
export const AMD_UNNAMED = "AMD GPU";

const outputError = (message: string) => new GpuOutputError({ tool: "rocm-smi", message });

const JsonObject = Schema.Record(Schema.String, Schema.Unknown);
type JsonObject = typeof JsonObject.Type;
const decodeObject = Schema.decodeUnknownResult(JsonObject);

// rocm-smi logs these (and exits 0) when the amdgpu driver is not loaded.
const DRIVER_FAILURE = /driver not initialized|amdgpu not found|unable to get devices|rocm smi returned/i;

const CARD_KEY = /^card(\d+)$/;

// Byte multipliers for the unit in a key such as "VRAM Total Memory (B)".
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3
};

/** The first key (case-insensitive, in pattern order) whose value is not a placeholder. */
const pick = (
  card: JsonObject,
  patterns: ReadonlyArray<RegExp>
): { readonly key: string; readonly value: unknown; readonly match: RegExpExecArray } | null => {
  for (const pattern of patterns) {
    for (const [key, value] of Object.entries(card)) {
      const match = pattern.exec(key.trim());
      if (match !== null && !(typeof value === "string" && isPlaceholder(value))) return { key, value, match };
    }
  }
  return null;
};

// Key names across rocm-smi versions (ROCm 4.3 to 6.x): "Card series" became
// "Card Series" and "Device Name" was added; old versions print bare hex ids
// ("0x1002") when they cannot resolve a name, and those are kept as is.
const NAME_KEYS = [/^card series$/i, /^device name$/i, /^card model$/i];
const UUID_KEYS = [/^unique id$/i];
const USE_KEYS = [/^gpu use \(%\)$/i];
// Edge first (what every capture reports); junction where the edge sensor is N/A (MI300).
const TEMPERATURE_KEYS = [/^temperature \(sensor edge\) \(c\)$/i, /^temperature \(c\)$/i, /^temperature \(sensor junction\) \(c\)$/i];
const VRAM_TOTAL_KEYS = [/^vram total memory \(([a-z]+)\)$/i];
const VRAM_USED_KEYS = [/^vram total used memory \(([a-z]+)\)$/i];

const readCard = (card: JsonObject, index: number): Result.Result<GpuReading, GpuOutputError> =>
  Result.gen(function* () {
    const number = (found: ReturnType<typeof pick>) =>
      found === null
        ? Result.succeed(null)
        : Result.mapError(parseNumberStrict(found.value), (why) => outputError(`card${index}, "${found.key}": ${why}`));
    const bytes = (found: ReturnType<typeof pick>) =>
      Result.gen(function* () {
        const amount = yield* number(found);
        const unit = found?.match[1]?.toLowerCase() ?? "b";
        const perUnit = UNIT_BYTES[unit];
        if (perUnit === undefined) {
          return yield* Result.fail(outputError(`card${index}, "${found?.key}": unknown unit "${unit}"`));
        }
        return amount === null ? null : amount * perUnit;
      });
    const total = yield* bytes(pick(card, VRAM_TOTAL_KEYS));
    const used = yield* bytes(pick(card, VRAM_USED_KEYS));
    const utilization = yield* number(pick(card, USE_KEYS));
    const temperature = yield* number(pick(card, TEMPERATURE_KEYS));
    return {
      index,
      uuid: textOrNull(pick(card, UUID_KEYS)?.value),
      name: textOrNull(pick(card, NAME_KEYS)?.value) ?? AMD_UNNAMED,
      // rocm-smi prints no free figure, so available is total − used.
      ...vramGb({ total, used, free: null }, 1),
      utilization_percent: utilization,
      temperature_c: temperature
    };
  });

/**
 * Reads `rocm-smi --showmeminfo vram --showuse --showtemp --showproductname
 * --showuniqueid --json`: one reading per `cardN` key (index N, sorted
 * numerically); other top-level keys (`system`, …) are ignored. Key names and
 * units vary across ROCm versions; `N/A` reads as null. rocm-smi's
 * driver-not-loaded message gives a GpuDriverError carrying it.
 */
export const parseRocmSmiJson = (text: string): Result.Result<ReadonlyArray<GpuReading>, GpuParseError> => {
  const trimmed = text.trim();
  if (trimmed === "") return Result.fail(outputError("rocm-smi printed nothing"));
  const json = Result.try({ try: (): unknown => JSON.parse(trimmed), catch: (cause) => cause });
  if (Result.isFailure(json)) {
    if (DRIVER_FAILURE.test(trimmed)) return Result.fail(new GpuDriverError({ tool: "rocm-smi", message: trimmed }));
    const why = json.failure instanceof Error ? json.failure.message : String(json.failure);
    return Result.fail(outputError(`rocm-smi output is not JSON (${why}): ${trimmed.slice(0, 200)}`));
  }
  return Result.gen(function* () {
    const top = yield* Result.mapError(decodeObject(json.success), () =>
      outputError("rocm-smi output is not a JSON object keyed by card")
    );
    const cards = Object.entries(top)
      .flatMap(([key, value]) => {
        const number = CARD_KEY.exec(key)?.[1];
        return number === undefined ? [] : [{ key, index: Number(number), value }];
      })
      .sort((a, b) => a.index - b.index);
    return yield* Result.all(
      cards.map(({ key, index, value }) =>
        Result.flatMap(
          Result.mapError(decodeObject(value), () => outputError(`"${key}" is not an object of card values`)),
          (card) => readCard(card, index)
        )
      )
    );
  });
};

/** One card's amdgpu sysfs file contents (`device/mem_info_vram_total`, `…_used`, `product_name`). */
export interface AmdgpuSysfsCard {
  readonly index: number;
  readonly vram_total_bytes: string | null;
  readonly vram_used_bytes: string | null;
  readonly name: string | null;
}

/**
 * Maps amdgpu sysfs readings (the fallback where rocm-smi is missing) to
 * readings, sorted by index. Unreadable or missing figures are null;
 * available is total − used; sysfs gives no utilization or temperature here.
 */
export const readingsFromAmdgpuSysfs = (cards: ReadonlyArray<AmdgpuSysfsCard>): ReadonlyArray<GpuReading> =>
  [...cards]
    .sort((a, b) => a.index - b.index)
    .map((card) => ({
      index: card.index,
      uuid: null,
      name: textOrNull(card.name) ?? AMD_UNNAMED,
      ...vramGb({ total: parseNumber(card.vram_total_bytes), used: parseNumber(card.vram_used_bytes), free: null }, 1),
      utilization_percent: null,
      temperature_c: null
    }));
