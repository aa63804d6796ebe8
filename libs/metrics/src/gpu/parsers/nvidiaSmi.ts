/** The name a reading carries when nvidia-smi reports none (missing column or element, or a placeholder). */
export const NVIDIA_UNNAMED = "NVIDIA GPU";

/**
 * How nvidia-smi starts the message it prints (instead of any CSV or XML)
 * when it cannot reach the driver or the GPUs.
 */
const FAILURE_STARTS: ReadonlyArray<string> = [
  "nvidia-smi has failed",
  "nvidia-smi couldn't find",
  "failed to initialize nvml",
  "no devices were found",
  "unable to determine the device handle",
  "driver/library version mismatch"
];

const isFailureLine = (line: string): boolean => {
  const lower = line.trim().toLowerCase();
  return FAILURE_STARTS.some((start) => lower.startsWith(start));
};

/**
 * nvidia-smi's driver-failure message in `text`, trimmed, or null when the
 * text is not one. When the whole output is the failure, the message is the
 * whole output; when a failure line sits among data (one GPU fell off the
 * bus), the message is the failure lines alone.
 */
export const nvidiaDriverFailure = (text: string): string | null => {
  const trimmed = text.trim();
  const lines = trimmed.split(/\r?\n/);
  if (lines.length > 0 && isFailureLine(lines[0] ?? "")) return trimmed;
  const failures = lines.filter(isFailureLine).map((line) => line.trim());
  return failures.length === 0 ? null : failures.join("\n");
};
