import { existsSync } from "node:fs";
import path from "node:path";

/**
 * Where the real GPU tool outputs are: `GPU_FIXTURES_DIR`, else
 * `../shared/fixtures/gpu` beside the repository root (CI clones the
 * repository next to shared/).
 */
export const gpuFixturesDir = (repoRoot: string): string =>
  process.env["GPU_FIXTURES_DIR"] ?? path.resolve(repoRoot, "../shared/fixtures/gpu");

/**
 * Whether a suite that reads the fixtures can run. Present: "run". Missing
 * on a developer's machine: "skip", with a warning naming the folder.
 * Missing under `CI=true`: "fail" — CI always has shared/ beside the
 * clone, so a missing folder there is a broken set-up, never a reason to
 * pass without running.
 */
export const fixturesPolicy = (dir: string, suite: string): "run" | "skip" | "fail" => {
  if (existsSync(dir)) return "run";
  if (process.env["CI"] === "true") return "fail";
  console.warn(`GPU fixtures not found at ${dir}: ${suite} is SKIPPED. Clone shared/ beside the repository or set GPU_FIXTURES_DIR.`);
  return "skip";
};

/** The error a suite fails with under CI when its fixtures are missing. */
export const missingFixturesError = (dir: string): Error =>
  new Error(`GPU fixtures not found at ${dir} (CI=true): put shared/ beside the repository or set GPU_FIXTURES_DIR to its fixtures/gpu folder`);
