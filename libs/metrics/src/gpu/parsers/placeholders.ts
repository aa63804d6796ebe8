import { Result } from "effect";

/**
 * Values GPU tools print instead of a figure they cannot report. nvidia-smi
 * wraps every NVML error in brackets (`[N/A]`, `[Not Supported]`,
 * `[Insufficient Permissions]`, `[GPU is lost]`, …), so any fully bracketed
 * value counts; the bare forms below are what `-q -x`, some CSV columns and
 * rocm-smi print.
 */
const BARE_PLACEHOLDERS: ReadonlySet<string> = new Set([
  "",
  "n/a",
  "not supported",
  "requested functionality has been deprecated",
  "unknown error",
  "insufficient permissions"
]);

/** True when a tool printed a placeholder (or nothing) instead of a value. */
export const isPlaceholder = (value: string): boolean => {
  const trimmed = value.trim();
  return /^\[[^\]]*\]$/.test(trimmed) || BARE_PLACEHOLDERS.has(trimmed.toLowerCase());
};

// A decimal number, optionally followed by a unit: "16376 MiB", "7 %", "84.24 W", "24 C", "45.0".
const NUMBER_WITH_UNIT = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z%°]+)?$/;

/**
 * Reads a tool value as a number, dropping any unit suffix. Succeeds with
 * null for a placeholder or a missing value; fails with a description when
 * the value is text that is neither.
 */
export const parseNumberStrict = (value: unknown): Result.Result<number | null, string> => {
  if (value === undefined || value === null) return Result.succeed(null);
  if (typeof value === "number") {
    return Number.isFinite(value) ? Result.succeed(value) : Result.fail(`${String(value)} is not a finite number`);
  }
  if (typeof value !== "string") return Result.fail(`expected text, got ${typeof value}`);
  if (isPlaceholder(value)) return Result.succeed(null);
  const match = NUMBER_WITH_UNIT.exec(value.trim());
  const digits = match?.[1];
  return digits === undefined ? Result.fail(`"${value.trim()}" is not a number`) : Result.succeed(Number(digits));
};

/** Reads a tool value as a number (units dropped); null for placeholders, missing or unreadable values. */
export const parseNumber = (value: unknown): number | null => Result.getOrNull(parseNumberStrict(value));

/** The value as trimmed text, or null when it is a placeholder or not text at all. */
export const textOrNull = (value: unknown): string | null =>
  typeof value === "string" && !isPlaceholder(value) ? value.trim() : null;
