import type { Effect } from "effect";
import { type CommandError, type CommandOutput, CommandRunner } from "@homelab/process";
import type { MetricsSettings } from "../MetricsConfig.ts";

/** Runs a GPU tool with the metrics settings' deadline, output cap and environment. */
export const runTool = (
  settings: MetricsSettings,
  command: string,
  args: ReadonlyArray<string>
): Effect.Effect<CommandOutput, CommandError, CommandRunner> =>
  CommandRunner.use((runner) =>
    runner.run({
      command,
      args,
      timeoutMs: settings.sourceTimeoutMs,
      maxOutputBytes: settings.maxToolOutputBytes,
      ...(settings.toolEnv === undefined ? {} : { env: settings.toolEnv })
    })
  );
