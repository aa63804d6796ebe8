import { Result } from "effect";
import type { GpuReading } from "../GpuReading.ts";
import { GpuDriverError, GpuOutputError, type GpuParseError } from "./errors.ts";
import { NVIDIA_UNNAMED, nvidiaDriverFailure } from "./nvidiaSmi.ts";
import { isPlaceholder, parseNumberStrict } from "./placeholders.ts";
import { BYTES_PER_MIB, vramGb } from "./vram.ts";

/** The `--query-gpu` fields the agent asks for, in this order. */
export const NVIDIA_QUERY_FIELDS = [
  "index",
  "uuid",
  "name",
  "memory.total",
  "memory.used",
  "memory.free",
  "utilization.gpu",
  "temperature.gpu"
] as const;

export interface NvidiaCsvOptions {
  /**
   * The field order of the query, for `--format=csv,noheader` output. Without
   * it the first line must be nvidia-smi's header.
   */
  readonly columns?: ReadonlyArray<string>;
}

const outputError = (message: string) => new GpuOutputError({ tool: "nvidia-smi", message });

// "memory.total [MiB]" → "memory.total"; field names are compared case-insensitively.
const fieldName = (header: string): string =>
  header
    .trim()
    .replace(/\s*\[[^\]]*\]$/, "")
    .toLowerCase();

const FIELD_NAME = /^[a-z_][a-z0-9_.]*$/;

const cellsOf = (line: string): ReadonlyArray<string> => line.split(",").map((cell) => cell.trim());

interface Table {
  readonly fields: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<{ readonly line: number; readonly cells: ReadonlyArray<string> }>;
}

const tableOf = (
  lines: ReadonlyArray<{ readonly line: number; readonly text: string }>,
  columns: ReadonlyArray<string> | undefined
): Result.Result<Table, GpuOutputError> => {
  const [first, ...rest] = lines;
  if (first === undefined) return Result.fail(outputError("nvidia-smi printed nothing"));
  const firstFields = cellsOf(first.text).map(fieldName);
  const toRows = (ls: typeof lines) => ls.map(({ line, text }) => ({ line, cells: cellsOf(text) }));
  if (columns !== undefined) {
    const fields = columns.map(fieldName);
    // A header printed despite the caller expecting none is skipped, not read as a GPU.
    const isHeader = firstFields.length === fields.length && firstFields.every((f, i) => f === fields[i]);
    return Result.succeed({ fields, rows: toRows(isHeader ? rest : lines) });
  }
  const bad = firstFields.find((field) => !FIELD_NAME.test(field));
  if (bad !== undefined) {
    return Result.fail(
      outputError(
        `line ${first.line} is not a --query-gpu CSV header (column "${bad}" is not a field name): ${first.text.trim()}`
      )
    );
  }
  return Result.succeed({ fields: firstFields, rows: toRows(rest) });
};

const readRow = (
  fields: ReadonlyArray<string>,
  row: Table["rows"][number],
  position: number
): Result.Result<GpuReading, GpuOutputError> =>
  Result.gen(function* () {
    if (row.cells.length !== fields.length) {
      return yield* Result.fail(
        outputError(`line ${row.line} has ${row.cells.length} values but the header has ${fields.length} columns`)
      );
    }
    const cell = (field: string): string | undefined => {
      const at = fields.indexOf(field);
      return at === -1 ? undefined : row.cells[at];
    };
    const number = (field: string): Result.Result<number | null, GpuOutputError> =>
      Result.mapError(parseNumberStrict(cell(field)), (why) => outputError(`line ${row.line}, ${field}: ${why}`));
    const text = (field: string): string | null => {
      const value = cell(field);
      return value === undefined || isPlaceholder(value) ? null : value;
    };

    const index = yield* number("index");
    if (index !== null && !Number.isInteger(index)) {
      return yield* Result.fail(outputError(`line ${row.line}, index: "${cell("index")}" is not a GPU index`));
    }
    const total = yield* number("memory.total");
    const used = yield* number("memory.used");
    const free = yield* number("memory.free");
    const utilization = yield* number("utilization.gpu");
    const temperature = yield* number("temperature.gpu");
    return {
      index: index ?? position,
      uuid: text("uuid"),
      name: text("name") ?? NVIDIA_UNNAMED,
      ...vramGb({ total, used, free }, BYTES_PER_MIB),
      utilization_percent: utilization,
      temperature_c: temperature
    };
  });

/**
 * Reads `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]`.
 * Columns are found by header name (units in the header or the values are
 * dropped), so their order never matters; pass `columns` for noheader output.
 * Placeholders (`[N/A]`, `[Not Supported]`, …) and missing columns read as
 * null. `index` is the index column, else the row's position. nvidia-smi's
 * driver-failure text gives a GpuDriverError carrying that text.
 */
export const parseNvidiaCsv = (
  text: string,
  options: NvidiaCsvOptions = {}
): Result.Result<ReadonlyArray<GpuReading>, GpuParseError> => {
  const failure = nvidiaDriverFailure(text);
  if (failure !== null) return Result.fail(new GpuDriverError({ tool: "nvidia-smi", message: failure }));
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((line, i) => ({ line: i + 1, text: line }))
    .filter(({ text: line }) => line.trim() !== "");
  return Result.flatMap(tableOf(lines, options.columns), ({ fields, rows }) =>
    Result.all(rows.map((row, position) => readRow(fields, row, position)))
  );
};
