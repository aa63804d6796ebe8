/**
 * Consumes `agent.<id>.work` with prefetch = max_concurrent_work, that many
 * requests running at once. A request names a task kind from the agent's
 * config; its params fill the kind's argv template and the program runs
 * without a shell (TaskRunner). A kind the agent does not have, or params
 * that do not fit the template, are answered `rejected` and never run.
 *
 * Ack discipline: the result is published (confirmed) before the request is
 * acked; when it cannot be published the request is requeued, and its next
 * delivery publishes the result this process kept (the work is not run
 * again). A request that comes back with the `redelivered` flag and that
 * this process does not know may already have run (the agent died, say):
 * it is answered `rejected`, never run twice.
 *
 * Work outlives a lost connection (it belongs to the WorkPool, not to this
 * consumer); on SIGTERM the consumer stops taking work, running work gets
 * shutdown_grace_seconds to finish and is then killed and reported `failed`,
 * all before agent_shutdown goes out.
 */
import { Clock, Deferred, Effect, Exit, Option, Result } from "effect";
import {
  decodeDelivered,
  workQueueTopology,
  controlQueueTopology,
  type AgentId,
  type Message,
  type PayloadOf,
  type ResourceMetrics
} from "@homelab/protocol";
import type { BrokerConnection, Delivery, Disposition } from "@homelab/broker";
import type { TaskKind } from "./config/AgentSettings.ts";
import { publishMessage, stamp } from "./Outbox.ts";
import { taskEnvironment } from "./work/taskEnv.ts";
import { expandCommand } from "./work/template.ts";
import { TaskRunner, type TaskSpec } from "@homelab/process";
import type { WorkEntry, WorkPool } from "./work/WorkPool.ts";
import { unmetRequirements } from "./work/requirements.ts";
import { outcomeFields, rejection, workResultMessage, type ResultFields } from "./work/workResult.ts";

/** What the work consumer needs from the agent's settings. */
export interface WorkSettings {
  readonly agentId: AgentId;
  readonly replyQueue: string;
  readonly publishDeadlineMs: number;
  readonly tasks: Readonly<Record<string, TaskKind>>;
  readonly maxOutputBytes: number;
  readonly shutdownGraceSeconds: number;
  /** The agent's own environment; tasks inherit only a few variables of it. */
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  /** Set: only requests whose broker-checked user_id is this (the orchestrator's broker user) are run. */
  readonly orchestratorUser?: string | undefined;
}

export const UNAUTHENTICATED_REASON = "unauthenticated: the request was not published by the orchestrator's broker user";

export const REDELIVERED_REASON = "delivered again after an interruption; not run twice";

/** The reason in a `failed` result for work killed because the agent stopped. */
export const graceReason = (graceSeconds: number): string =>
  `agent stopping: killed after the ${graceSeconds} s shutdown grace`;

interface Plan {
  readonly program: string;
  readonly spec: Omit<TaskSpec, "killWhen">;
}

/**
 * What to run for a request, or why it is rejected: a kind this agent does not
 * have, params that do not fit its template, or a machine that (as last
 * measured, `resources`; not checked before the first measurement) lacks what
 * the kind `requires`.
 */
export const planWork = (
  settings: WorkSettings,
  request: PayloadOf<"work_request">,
  resources?: ResourceMetrics
): Result.Result<Plan, string> => {
  const kind = Object.hasOwn(settings.tasks, request.kind) ? settings.tasks[request.kind] : undefined;
  if (kind === undefined) {
    const known = Object.keys(settings.tasks);
    return Result.fail(
      `unknown task kind "${request.kind}"; this agent runs ${known.length === 0 ? "no task kinds" : known.join(", ")}`
    );
  }
  const unmet = resources === undefined ? undefined : unmetRequirements(kind.requires, resources);
  if (unmet !== undefined) return Result.fail(`kind "${request.kind}" ${unmet}; not run`);
  // A value that looks like an option (`--help`, `-rf`) would change what the program does, not what it works on.
  const optionLike = Object.entries(request.params).find(
    ([name, value]) => value.startsWith("-") && kind.allow_option_values?.[name] !== true
  );
  if (optionLike !== undefined) {
    return Result.fail(
      `kind "${request.kind}": param "${optionLike[0]}" begins with "-" (${JSON.stringify(optionLike[1].slice(0, 40))}), which the program could read as an option; the kind allows that only with allow_option_values: { ${optionLike[0]}: true }`
    );
  }
  return Result.mapBoth(expandCommand(kind.command, request.params), {
    onFailure: (reason) => `kind "${request.kind}": ${reason}`,
    onSuccess: (argv) => ({
      program: argv[0] ?? "",
      spec: {
        argv,
        cwd: kind.cwd,
        env: taskEnvironment(settings.hostEnv, kind.env),
        timeoutMs: Math.round(Math.min(request.timeout_seconds, kind.timeout_seconds) * 1000),
        maxOutputBytes: settings.maxOutputBytes
      }
    })
  });
};

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString());

/** Consumes this agent's work queue until the scope closes (see the top of this file). */
export const consumeWork = (options: {
  readonly conn: BrokerConnection;
  readonly prefetch: number;
  readonly settings: WorkSettings;
  readonly pool: WorkPool;
  /** The machine as last measured (the heartbeat's figures), for the kinds' `requires`. */
  readonly resources?: Effect.Effect<ResourceMetrics | undefined>;
}) =>
  Effect.gen(function* () {
    const { conn, settings, pool } = options;
    const runner = yield* TaskRunner;
    // Completes when this consumer's connection goes: handlers stop waiting
    // on work, which runs on and is answered on the next connection.
    const detached = yield* Deferred.make<void>();

    const publish = (message: Message, workId: string) =>
      publishMessage(conn, settings.replyQueue, message, settings.publishDeadlineMs).pipe(
        Effect.as<Disposition>("ack"),
        Effect.catch((e) =>
          Effect.logWarning(`work ${workId}: result not published (${e.message}); request requeued`).pipe(
            Effect.as<Disposition>("requeue")
          )
        )
      );

    const answer = (workId: string, fields: ResultFields) =>
      Effect.gen(function* () {
        const now = yield* nowIso;
        yield* Effect.logInfo(`work ${workId}: ${fields.status}: ${fields.error ?? ""}`);
        const message = workResultMessage({ stamp: yield* stamp, agentId: settings.agentId, workId, fields, startedAt: now, finishedAt: now });
        return yield* publish(message, workId);
      });

    // Waits for the work's result and publishes it, once per process.
    const deliver = (entry: WorkEntry) =>
      Effect.gen(function* () {
        const result = yield* Effect.raceFirst(
          Effect.map(Deferred.await(entry.result), Option.some),
          Effect.as(Deferred.await(detached), Option.none<Message>())
        );
        if (Option.isNone(result)) {
          yield* Effect.logWarning(`work ${entry.workId}: connection lost while it runs; it runs on, its request comes back`);
          return "requeue" satisfies Disposition;
        }
        return yield* entry.publishing.withPermits(1)(
          Effect.gen(function* () {
            if ((yield* pool.find(entry.workId)) === "published") return "ack" satisfies Disposition;
            const disposition = yield* publish(result.value, entry.workId);
            if (disposition === "ack") yield* pool.markPublished(entry.workId);
            return disposition;
          })
        );
      });

    const run = (workId: string, kind: string, plan: Plan) => (cancelled: Effect.Effect<string>) =>
      Effect.gen(function* () {
        const startedAt = yield* nowIso;
        yield* Effect.logInfo(`work ${workId}: running ${kind} (${plan.program})`);
        let cancelReason: string | undefined;
        const outcome = yield* runner.run({
          ...plan.spec,
          killWhen: Effect.raceFirst(
            pool.stopping.pipe(
              Effect.andThen(Effect.sleep(`${settings.shutdownGraceSeconds} seconds`)),
              Effect.as(graceReason(settings.shutdownGraceSeconds))
            ),
            cancelled.pipe(Effect.tap((reason) => Effect.sync(() => void (cancelReason = reason))))
          )
        });
        const ended = outcomeFields(plan.program, outcome);
        // Killed on a work_cancel: `cancelled`, with the output so far.
        const fields: ResultFields =
          cancelReason !== undefined && outcome._tag === "Killed"
            ? { ...ended, status: "cancelled", exit_code: null, error: `${cancelReason}; ${plan.program} and its process group were killed` }
            : ended;
        yield* Effect.logInfo(`work ${workId}: ${fields.status}${fields.error === null ? "" : `: ${fields.error.split("\n")[0]}`}`);
        const finishedAt = yield* nowIso;
        return workResultMessage({ stamp: yield* stamp, agentId: settings.agentId, workId, fields, startedAt, finishedAt });
      });

    const handle = (delivery: Delivery) =>
      Effect.gen(function* (): Effect.fn.Return<Disposition> {
        const decoded = decodeDelivered(delivery.body);
        if (decoded._tag === "Failure") {
          yield* Effect.logWarning(`work queue: dropped a malformed message (${decoded.failure.reason}): ${decoded.failure.message}`);
          return "drop";
        }
        const message = decoded.success;
        if (message.type !== "work_request") {
          yield* Effect.logWarning(`work queue: dropped a ${message.type} message; only work_request belongs here`);
          return "drop";
        }
        const request = message.payload;
        const known = yield* pool.find(request.work_id);
        if (known === "published") return "ack";
        if (known !== undefined) return yield* deliver(known);
        const cancelledEarly = yield* pool.cancelledBeforeStart(request.work_id);
        if (cancelledEarly !== undefined) {
          return yield* answer(request.work_id, { status: "cancelled", exit_code: null, output: "", error: `${cancelledEarly}; never started` });
        }
        // Past its deadline the orchestrator has given up on it (timed out, lost): never start it late.
        const now = yield* Clock.currentTimeMillis;
        if (request.expires_at !== undefined && request.expires_at !== null && Date.parse(request.expires_at) < now) {
          return yield* answer(request.work_id, {
            status: "expired",
            exit_code: null,
            output: "",
            error: `not started: its deadline ${request.expires_at} passed ${Math.round((now - Date.parse(request.expires_at)) / 1000)} s ago`
          });
        }
        const plan = planWork(settings, request, options.resources === undefined ? undefined : yield* options.resources);
        if (Result.isFailure(plan)) return yield* answer(request.work_id, rejection(plan.failure));
        // Only the orchestrator may hand out work: anyone else who can publish to this queue is answered, never run.
        if (settings.orchestratorUser !== undefined && delivery.userId !== settings.orchestratorUser) {
          return yield* answer(request.work_id, rejection(UNAUTHENTICATED_REASON));
        }
        if (delivery.redelivered) return yield* answer(request.work_id, rejection(REDELIVERED_REASON));
        // Not started: it goes back to the queue (after close() began, none should arrive).
        if (yield* pool.isStopping) return "requeue";
        return yield* deliver(yield* pool.start(request.work_id, run(request.work_id, request.kind, plan.success)));
      });

    // The control queue, read apart from the work so that a cancel never waits behind queued requests.
    // Its messages come only from the orchestrator's broker user when ORCHESTRATOR_USER is set.
    const control = (delivery: Delivery) =>
      Effect.gen(function* (): Effect.fn.Return<Disposition> {
        const decoded = decodeDelivered(delivery.body);
        if (decoded._tag === "Failure" || decoded.success.type !== "work_cancel") {
          yield* Effect.logWarning("control queue: dropped a message that is not a work_cancel");
          return "drop";
        }
        if (settings.orchestratorUser !== undefined && delivery.userId !== settings.orchestratorUser) {
          yield* Effect.logWarning(`control queue: dropped a work_cancel not published by ${settings.orchestratorUser}`);
          return "drop";
        }
        const order = decoded.success.payload;
        const was = yield* pool.cancel(order.work_id, order.reason);
        yield* Effect.logInfo(`work ${order.work_id}: cancel (${order.reason}); it was ${was}`);
        return "ack";
      });
    yield* conn.consume({ queue: controlQueueTopology(settings.agentId), prefetch: 64 }, control);

    yield* conn.consume(
      {
        queue: workQueueTopology(settings.agentId),
        prefetch: options.prefetch,
        onClosing: (exit) => (Exit.hasInterrupts(exit) ? pool.stop : Deferred.succeed(detached, undefined).pipe(Effect.asVoid))
      },
      handle
    );
  });
