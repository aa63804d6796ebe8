import { Data } from "effect";

/** The GPU tool whose output a parser read. */
export type GpuTool = "nvidia-smi" | "rocm-smi" | "amdgpu-sysfs" | "xpu-smi";

/**
 * The tool's output could not be read: empty, not the expected format, or a
 * value that is neither a number nor a known placeholder. `message` names
 * what was wrong and where.
 */
export class GpuOutputError extends Data.TaggedError("GpuOutputError")<{
  readonly tool: GpuTool;
  readonly message: string;
}> {}

/**
 * The tool ran but reported that it cannot reach the driver or the devices
 * (e.g. "NVIDIA-SMI has failed because it couldn't communicate with the
 * NVIDIA driver"). `message` is the tool's own text, trimmed.
 */
export class GpuDriverError extends Data.TaggedError("GpuDriverError")<{
  readonly tool: GpuTool;
  readonly message: string;
}> {}

export type GpuParseError = GpuOutputError | GpuDriverError;
