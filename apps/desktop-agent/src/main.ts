/**
 * The desktop agent process (`nx run desktop-agent:serve`): read the config,
 * then run heartbeats and the work consumer until SIGTERM/SIGINT.
 * Exit codes: 0 after a signal, 78 invalid configuration, 69 broker
 * unreachable after every reconnect attempt.
 */
// First: its V8 flags must be set before the rest of the bundle compiles.
import "./v8Flags.ts";
import { Effect, Layer } from "effect";
import { runApp, withLogLevel } from "@homelab/config";
import { metricsLayer } from "@homelab/metrics";
import { runAgent } from "./Agent.ts";
import { Broker } from "@homelab/broker";
import { loadProcessConfig } from "./processConfig.ts";
import { TaskRunner } from "@homelab/process";

const program = Effect.gen(function* () {
  const settings = yield* loadProcessConfig;
  const layers = Layer.mergeAll(
    Broker.layer(settings.amqp),
    metricsLayer({ gpuBackend: settings.gpu_backend }),
    TaskRunner.layer
  );
  return yield* runAgent({
    agent_id: settings.agent_id,
    agent_type: settings.agent_type,
    pool_name: settings.pool_name,
    reply_queue: settings.reply_queue,
    heartbeat_interval_seconds: settings.heartbeat_interval_seconds,
    max_concurrent_work: settings.max_concurrent_work,
    tasks: settings.tasks,
    max_output_bytes: settings.max_output_bytes,
    shutdown_grace_seconds: settings.shutdown_grace_seconds,
    host_env: process.env,
    orchestrator_user: settings.orchestrator_user,
    drain_signals: true,
    jitter: true
  }).pipe(Effect.scoped, Effect.provide(layers), withLogLevel(settings.log_level));
});

// A signal is the normal way to stop the agent: exit 0 (SPEC §4).
runApp(program);
