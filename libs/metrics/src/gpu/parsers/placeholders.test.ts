import { Result } from "effect";
import fc from "fast-check";
import { isPlaceholder, parseNumber, parseNumberStrict, textOrNull } from "./placeholders.ts";

const PLACEHOLDERS = [
  "[N/A]",
  "N/A",
  "[Not Supported]",
  "Not Supported",
  "[Requested functionality has been deprecated]",
  "Requested functionality has been deprecated",
  "[Unknown Error]",
  "Unknown Error",
  "[Insufficient Permissions]",
  "[GPU is lost]",
  "",
  "   "
];

describe("isPlaceholder", () => {
  it.each(PLACEHOLDERS)("treats %j as not reported", (value) => {
    expect(isPlaceholder(value)).toBe(true);
  });

  it.each(["0", "0 %", "NVIDIA A10", "0x1002", "None", "Disabled"])("treats %j as a value", (value) => {
    expect(isPlaceholder(value)).toBe(false);
  });
});

describe("parseNumber", () => {
  it.each([
    ["16376 MiB", 16376],
    ["16376", 16376],
    ["7 %", 7],
    ["84.24 W", 84.24],
    ["24 C", 24],
    ["45.0", 45],
    [" 12 ", 12],
    [0, 0],
    [31.5, 31.5]
  ])("reads %j as %d, dropping the unit", (value, expected) => {
    expect(parseNumber(value)).toBe(expected);
  });

  it.each(PLACEHOLDERS)("reads the placeholder %j as null, never 0", (value) => {
    expect(parseNumber(value)).toBeNull();
    expect(Result.getOrThrow(parseNumberStrict(value))).toBeNull();
  });

  it("reads a missing value as null", () => {
    expect(parseNumber(undefined)).toBeNull();
    expect(parseNumber(null)).toBeNull();
  });

  it("reads any bracketed nvidia-smi error as null", () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes("]")), (inner) => {
        expect(parseNumber(`[${inner}]`)).toBeNull();
      })
    );
  });

  it("reads any integer with any unit back unchanged", () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom("", " MiB", " %", " W", " C", "MHz"), (n, unit) => {
        expect(parseNumber(`${n}${unit}`)).toBe(n);
      })
    );
  });
});

describe("parseNumberStrict", () => {
  it("names text that is neither a number nor a placeholder", () => {
    expect(Result.getOrThrow(Result.flip(parseNumberStrict("lots")))).toBe('"lots" is not a number');
    expect(Result.getOrThrow(Result.flip(parseNumberStrict("0x1002")))).toBe('"0x1002" is not a number');
  });

  it("rejects values that are not text or numbers", () => {
    expect(Result.isFailure(parseNumberStrict({ total: "1 MiB" }))).toBe(true);
    expect(Result.isFailure(parseNumberStrict(Number.NaN))).toBe(true);
  });
});

describe("textOrNull", () => {
  it("keeps text trimmed and turns placeholders and non-text into null", () => {
    expect(textOrNull("  Quadro P400 ")).toBe("Quadro P400");
    expect(textOrNull("[N/A]")).toBeNull();
    expect(textOrNull(42)).toBeNull();
    expect(textOrNull(undefined)).toBeNull();
  });
});
