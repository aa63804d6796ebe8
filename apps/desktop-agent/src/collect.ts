/**
 * `nx run desktop-agent:collect`: measures this machine once, as the agent's
 * heartbeats will (same config: file, env, GPU_BACKEND), and prints the
 * ResourceMetrics as JSON. A quick way to see what the agent would report, and
 * which GPU backend it picks, before running it for real.
 */
import { NodeRuntime } from "@effect/platform-node";
import { Console, Effect, Logger } from "effect";
import { MetricsCollector, metricsLayer } from "@homelab/metrics";
import { loadProcessConfig } from "./processConfig.ts";

const program = Effect.gen(function* () {
  const settings = yield* loadProcessConfig;
  const metrics = yield* MetricsCollector.use((c) => c.collect).pipe(
    Effect.provide(metricsLayer({ gpuBackend: settings.gpu_backend }))
  );
  yield* Console.log(JSON.stringify(metrics, null, 2));
}).pipe(
  Effect.tapError((e) => Console.error(e.message)),
  // stdout carries the JSON; logs go to stderr.
  Effect.provideService(Logger.LogToStderr, true)
);

NodeRuntime.runMain(program, { disableErrorReporting: true });
