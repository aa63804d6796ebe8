import { randomUUID } from "node:crypto";
import { Clock, Data, Deferred, Duration, Effect, Exit, Ref, Runtime } from "effect";
import { MetricsCollector } from "@homelab/metrics";
import { makeEnvelope, replyQueueTopology, type AgentId, type AgentStatus, type GpuInventory, type Message } from "@homelab/protocol";
import { Broker, type BrokerConnection, connectRoundDelay, RECONNECT_ATTEMPTS, reconnectSchedule } from "@homelab/broker";
import { makeHeartbeatSource, type AgentIdentity } from "./Heartbeat.ts";
import { publishMessage, stamp } from "./Outbox.ts";
import { heartbeatSchedule, inventorySchedule } from "./schedules.ts";
import type { TaskKind } from "./config/AgentSettings.ts";
import { makeWorkPool } from "./work/WorkPool.ts";
import { consumeWork } from "./WorkConsumer.ts";

/**
 * The broker stayed unreachable through every attempt of the backoff
 * schedule: exit 69 (EX_UNAVAILABLE) so systemd restarts the agent.
 */
export class BrokerUnreachable extends Data.TaggedError("BrokerUnreachable")<{ readonly message: string }> {
  override readonly [Runtime.errorExitCode] = 69;
}

export interface AgentOptions {
  readonly agent_id: AgentId;
  readonly agent_type: string;
  readonly pool_name: string;
  readonly reply_queue: string;
  readonly heartbeat_interval_seconds: number;
  readonly max_concurrent_work: number;
  /** The task kinds it runs; their names are its heartbeats' capabilities. */
  readonly tasks: Readonly<Record<string, TaskKind>>;
  /** Cap on each of a task's stdout and stderr in its result. */
  readonly max_output_bytes: number;
  /** On SIGTERM, how long running work may take before it is killed. */
  readonly shutdown_grace_seconds: number;
  /** The agent's own environment; tasks inherit only PATH, HOME, LANG, LC_ALL, TZ from it. */
  readonly host_env: Readonly<Record<string, string | undefined>>;
  /** Random spread on reconnect delays (off in tests that check exact delays). */
  readonly jitter: boolean;
  /** Set: only work requests published by this broker user (the orchestrator's) are run (ORCHESTRATOR_USER). */
  readonly orchestrator_user?: string | undefined;
  /** SIGUSR1 drains the agent (it reports `draining`, the router sends it nothing new), SIGUSR2 resumes it. */
  readonly drain_signals?: boolean;
}

const RESULT_PUBLISH_DEADLINE_MS = 5000;

/** What the running agent exposes to tests and to the process around it. */
export interface AgentStats {
  readonly heartbeatsSent: number;
  readonly heartbeatsDropped: number;
  readonly connections: number;
}

/**
 * The agent: connect (with the SPEC backoff), then, until the connection is
 * lost, heartbeat (one at once, then every interval) and consume work. A lost
 * connection or a failed heartbeat publish ends the session and the loop
 * connects again; a heartbeat that cannot go out is dropped and counted,
 * never queued and replayed. Work runs in the background up to
 * max_concurrent_work at once and outlives a reconnect. Interrupting it
 * (SIGTERM) stops taking work, lets running work finish (killed and reported
 * `failed` after shutdown_grace_seconds), publishes `agent_shutdown` and
 * closes the connection.
 */
export const runAgent = (options: AgentOptions, stats?: Ref.Ref<AgentStats>) =>
  Effect.gen(function* () {
    const broker = yield* Broker;
    const counters = stats ?? (yield* Ref.make<AgentStats>({ heartbeatsSent: 0, heartbeatsDropped: 0, connections: 0 }));
    // Draining: asked to (SIGUSR1) or stopping. Busy: every slot taken. Both tell the router to send nothing new.
    const drained = yield* Ref.make(false);
    const stopping = yield* Ref.make(false);
    const identity: AgentIdentity = {
      agent_id: options.agent_id,
      agent_type: options.agent_type,
      pool_name: options.pool_name,
      boot_id: randomUUID(),
      boot_started_at: new Date(yield* Clock.currentTimeMillis).toISOString(),
      capabilities: Object.keys(options.tasks)
    };
    // Work belongs to the agent, not to one connection: it runs on through a reconnect.
    const pool = yield* makeWorkPool;
    const status = Effect.gen(function* (): Effect.fn.Return<AgentStatus> {
      if ((yield* Ref.get(drained)) || (yield* Ref.get(stopping))) return "draining";
      return (yield* pool.running).length >= options.max_concurrent_work ? "busy" : "online";
    });
    const taskRequires = Object.fromEntries(
      Object.entries(options.tasks).flatMap(([kind, task]) =>
        task.requires === undefined || Object.keys(task.requires).length === 0 ? [] : [[kind, task.requires]]
      )
    );
    // The GPU inventory, at start and every 10 minutes, waits here until a heartbeat carrying it is published.
    const unsentInventory = yield* Ref.make<GpuInventory | undefined>(undefined);
    const collector = yield* MetricsCollector;
    yield* collector.inventory.pipe(
      Effect.flatMap((inventory) => (inventory === null ? Effect.void : Ref.set(unsentInventory, inventory))),
      Effect.catch((e) => Effect.logWarning(`GPU inventory not collected (${e.source}: ${e.message}); trying again in 10 minutes`)),
      Effect.repeat(inventorySchedule),
      Effect.forkScoped
    );
    const heartbeats = yield* makeHeartbeatSource({
      identity,
      metricsBudgetMs: Math.min(2000, (options.heartbeat_interval_seconds * 1000) / 2),
      status,
      currentWork: pool.running,
      advertised: { max_concurrent_work: options.max_concurrent_work, task_requires: taskRequires },
      inventory: Ref.get(unsentInventory)
    });
    // A heartbeat now (drain, resume, stop), on the current connection if there is one.
    const beatNow = yield* Ref.make<Effect.Effect<void>>(Effect.void);
    if (options.drain_signals === true) {
      const context = yield* Effect.context<never>();
      const onSignal = (drain: boolean) => () =>
        void Effect.runPromiseWith(context)(
          Ref.set(drained, drain).pipe(
            Effect.andThen(Effect.logInfo(drain ? "draining (SIGUSR1): no new work; SIGUSR2 resumes" : "resumed (SIGUSR2)")),
            Effect.andThen(Effect.flatten(Ref.get(beatNow)))
          )
        );
      const drainHandler = onSignal(true);
      const resumeHandler = onSignal(false);
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          process.on("SIGUSR1", drainHandler);
          process.on("SIGUSR2", resumeHandler);
        }),
        () =>
          Effect.sync(() => {
            process.off("SIGUSR1", drainHandler);
            process.off("SIGUSR2", resumeHandler);
          })
      );
    }
    // A publish must not outlive the beat it belongs to.
    const publishDeadlineMs = Math.max(200, Math.min(5000, options.heartbeat_interval_seconds * 1000));
    const topology = replyQueueTopology(options.reply_queue);
    yield* Effect.logInfo(`agent ${identity.agent_id} starting (boot ${identity.boot_id})`);

    const connect = broker.connect.pipe(
      Effect.retry(
        reconnectSchedule({
          jitter: options.jitter,
          onRetry: (attempt, error, delay) =>
            Effect.logWarning(
              `broker connect attempt ${attempt}/${RECONNECT_ATTEMPTS} failed (${describe(error)}); next attempt in ${Duration.format(delay)}`
            )
        })
      ),
      Effect.catch((e) =>
        Effect.fail(
          new BrokerUnreachable({
            message: `broker unreachable after ${RECONNECT_ATTEMPTS} attempts (last: ${e.message}); exiting`
          })
        )
      ),
      (attempts) => Effect.andThen(connectRoundDelay(options.jitter), attempts)
    );

    const session = Effect.gen(function* () {
      const conn = yield* connect;
      yield* Ref.update(counters, (c) => ({ ...c, connections: c.connections + 1 }));
      yield* conn.declare(topology.deadLetterQueue);
      yield* conn.declare(topology);
      const publishFailed = yield* Deferred.make<string>();
      // Released after the consumer (finalizers run in reverse): on a signal,
      // work intake has stopped before agent_shutdown goes out.
      yield* Effect.addFinalizer((exit) =>
        Exit.hasInterrupts(exit) ? sendShutdown(conn, identity, options.reply_queue, publishDeadlineMs, stopping) : Effect.void
      );
      // Released before agent_shutdown goes out: intake stops, running work
      // finishes or is killed at the grace, and its results are published.
      yield* consumeWork({
        conn,
        prefetch: options.max_concurrent_work,
        pool,
        resources: heartbeats.latest,
        settings: {
          agentId: identity.agent_id,
          replyQueue: options.reply_queue,
          // Results are not tied to the heartbeat cadence; past this the request is requeued.
          publishDeadlineMs: RESULT_PUBLISH_DEADLINE_MS,
          tasks: options.tasks,
          maxOutputBytes: options.max_output_bytes,
          shutdownGraceSeconds: options.shutdown_grace_seconds,
          hostEnv: options.host_env,
          orchestratorUser: options.orchestrator_user
        }
      });
      yield* Effect.logInfo(`connected; heartbeating every ${options.heartbeat_interval_seconds} s`);
      const publishBeat = (message: Message) =>
        publishMessage(conn, options.reply_queue, message, publishDeadlineMs).pipe(
          Effect.tap(() => Ref.update(counters, (c) => ({ ...c, heartbeatsSent: c.heartbeatsSent + 1 }))),
          Effect.tap(() => {
            const sent = message.type === "work_status" ? message.payload.gpu_inventory : undefined;
            return sent === undefined ? Effect.void : Ref.update(unsentInventory, (unsent) => (unsent === sent ? undefined : unsent));
          }),
          Effect.catch((e) =>
            Ref.update(counters, (c) => ({ ...c, heartbeatsDropped: c.heartbeatsDropped + 1 })).pipe(
              Effect.andThen(Effect.logWarning(`heartbeat dropped: ${e.message}; reconnecting`)),
              Effect.andThen(Deferred.succeed(publishFailed, `heartbeat publish failed: ${e.message}`))
            )
          )
        );
      const beat = Effect.flatMap(heartbeats.next, publishBeat);
      // A change of status goes out at once, with the last metrics (never waiting for a collection).
      const beatStatus = Effect.flatMap(heartbeats.nextNow, (message) => (message === undefined ? Effect.void : publishBeat(message)));
      yield* Effect.forkScoped(Effect.repeat(beat, heartbeatSchedule(options.heartbeat_interval_seconds)));
      yield* Ref.set(beatNow, Effect.asVoid(beatStatus));
      // Released first (finalizers run in reverse): on a signal the orchestrator hears `draining` at once,
      // before the shutdown grace, so no job is sent to an agent that is stopping.
      yield* Effect.addFinalizer((exit) =>
        Exit.hasInterrupts(exit)
          ? Ref.set(stopping, true).pipe(Effect.andThen(beatStatus), Effect.andThen(Ref.set(beatNow, Effect.void)))
          : Ref.set(beatNow, Effect.void)
      );
      const reason = yield* Effect.raceFirst(conn.lost, Deferred.await(publishFailed));
      yield* Effect.logWarning(`${reason}; reconnecting`);
    }).pipe(Effect.scoped);

    return yield* Effect.forever(session);
  });

const describe = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error);

const sendShutdown = (
  conn: BrokerConnection,
  identity: AgentIdentity,
  replyQueue: string,
  deadlineMs: number,
  stopping: Ref.Ref<boolean>
) =>
  Effect.gen(function* () {
    yield* Ref.set(stopping, true);
    const message: Message = makeEnvelope({
      ...(yield* stamp),
      type: "agent_shutdown",
      sender: identity.agent_id,
      payload: { agent_id: identity.agent_id, boot_id: identity.boot_id, reason: "signal: agent stopping" }
    });
    yield* publishMessage(conn, replyQueue, message, Math.min(deadlineMs, 2000)).pipe(
      Effect.tap(() => Effect.logInfo("agent_shutdown published")),
      Effect.catch((e) => Effect.logWarning(`agent_shutdown not published: ${e.message}`))
    );
  });

