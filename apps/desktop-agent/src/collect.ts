/**
 * `nx run desktop-agent:collect`: measures this machine once, as the agent's
 * heartbeats will, and prints the ResourceMetrics as JSON. A quick way to see
 * what the agent would report (and which GPU backend it picks) before running
 * it for real.
 */
import { NodeRuntime } from "@effect/platform-node";
import { Config, Console, Effect, Logger, Option } from "effect";
import { GPU_BACKEND_CHOICES, MetricsCollector, metricsLayer, type GpuBackendChoice } from "@homelab/metrics";
import { InvalidConfig } from "./InvalidConfig.ts";

const isChoice = (value: string): value is GpuBackendChoice => GPU_BACKEND_CHOICES.some((c) => c === value);

const gpuBackend = Config.option(Config.String("GPU_BACKEND")).pipe(
  Effect.mapError((e) => new InvalidConfig({ message: `invalid configuration: GPU_BACKEND: ${e.message}` })),
  Effect.flatMap((raw) => {
    const value = Option.getOrElse(raw, () => "auto").trim().toLowerCase();
    return isChoice(value)
      ? Effect.succeed(value)
      : Effect.fail(
          new InvalidConfig({
            message: `invalid configuration: GPU_BACKEND must be one of ${GPU_BACKEND_CHOICES.join(", ")}; got "${Option.getOrElse(raw, () => "")}"`
          })
        );
  })
);

const program = Effect.gen(function* () {
  const choice = yield* gpuBackend;
  const metrics = yield* MetricsCollector.use((c) => c.collect).pipe(Effect.provide(metricsLayer({ gpuBackend: choice })));
  yield* Console.log(JSON.stringify(metrics, null, 2));
}).pipe(
  Effect.tapError((e) => Console.error(e.message)),
  // stdout carries the JSON; logs go to stderr.
  Effect.provideService(Logger.LogToStderr, true)
);

NodeRuntime.runMain(program);
