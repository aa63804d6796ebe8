import { hostname } from "node:os";
import { Clock, Duration, Effect, Layer, Ref, Schedule } from "effect";
import { type AlertOp, AlertRegistry, type ClaimedDelivery, DatabaseStart, type DeliveryOutcome } from "@homelab/registry";
import { OrchestratorMetrics } from "../OrchestratorMetrics.ts";
import { Readiness } from "../Readiness.ts";
import { sendToChannel } from "./channels.ts";
import { alertPolicy } from "./policy.ts";
import type { AlertMessage, AlertSettings, ChannelSpec } from "./types.ts";

/** How often the evaluator reads new transitions and the deliverer looks for due messages. */
export const ALERT_POLL = Duration.millis(500);
/** How often the evaluator also compares every online agent's GPUs with what its boot reported (a read of the whole fleet). */
export const GPU_CHECK = Duration.seconds(30);
/** How often the orchestrator's own broker and database are looked at for an outage. */
const OUTAGE_POLL = Duration.seconds(1);
/**
 * A claimed delivery is this orchestrator's for this long, three times a
 * send's timeout (then another may try it: a crash mid-send is retried).
 * Only as many are claimed as are sent at once, so none waits on others.
 */
const LEASE = Duration.seconds(30);
/** Deliveries claimed and sent side by side. */
const PARALLEL = 4;
const MAX_ROUNDS = 50;
/** Never retried forever: a message still undelivered after this many attempts, or this long after it was written, is given up. */
export const MAX_ATTEMPTS = 30;
export const GIVE_UP_AFTER = Duration.hours(24);

/** The wait before attempt n+1 after n failed: 2 s, 4 s, 8 s, … at most 5 min. */
export const deliveryBackoff = Schedule.min([Schedule.exponential("2 seconds"), Schedule.spaced("5 minutes")]);

/** The backoff's delay after `attempts` failed attempts (1 = the first). */
export const retryDelay = (attempts: number): Effect.Effect<Duration.Duration> =>
  Effect.gen(function* () {
    const step = yield* Schedule.toStep(deliveryBackoff);
    let delay = Duration.seconds(2);
    for (let i = 0; i < Math.max(1, attempts); i++) {
      const [, next] = yield* step(0, undefined).pipe(Effect.orDie);
      delay = next;
    }
    return delay;
  });

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * What one attempt's reply means: sent, another try after the backoff, or
 * given up (too many attempts, too old, or a channel no longer configured).
 */
export const outcomeOf = (
  delivery: ClaimedDelivery,
  reply: { readonly ok: boolean; readonly status: string; readonly detail: string },
  nowMs: number,
  delay: Duration.Duration
): DeliveryOutcome => {
  if (reply.ok) return { _tag: "Sent", status: reply.status, detail: reply.detail };
  const tooOld = nowMs - Date.parse(delivery.created_at) >= Duration.toMillis(GIVE_UP_AFTER);
  if (delivery.attempts >= MAX_ATTEMPTS || tooOld) {
    const why = tooOld ? `undelivered for ${Duration.format(GIVE_UP_AFTER)}` : `${delivery.attempts} attempts`;
    return { _tag: "GaveUp", status: reply.status, detail: `gave up after ${why}: ${reply.detail}` };
  }
  return { _tag: "Retry", status: reply.status, detail: reply.detail, retryAt: iso(nowMs + Duration.toMillis(delay)) };
};

/** Sends one claimed delivery and records what happened (counted per channel). */
const deliver = (channels: ReadonlyMap<string, ChannelSpec>, delivery: ClaimedDelivery) =>
  Effect.gen(function* () {
    const registry = yield* AlertRegistry;
    const metrics = yield* OrchestratorMetrics;
    const channel = channels.get(delivery.channel);
    const reply =
      channel === undefined
        ? { ok: false, status: "no such channel", detail: `no channel named ${delivery.channel} is configured now` }
        : yield* sendToChannel(channel, delivery.body as unknown as AlertMessage);
    const now = yield* Clock.currentTimeMillis;
    const outcome =
      channel === undefined
        ? ({ _tag: "GaveUp", status: reply.status, detail: reply.detail } satisfies DeliveryOutcome)
        : outcomeOf(delivery, reply, now, yield* retryDelay(delivery.attempts));
    yield* metrics.alertDelivered(delivery.channel, reply.ok);
    if (!reply.ok) {
      const next = outcome._tag === "Retry" ? `; next try at ${outcome.retryAt}` : "; given up";
      yield* Effect.logWarning(`alert ${String(delivery.body["alert_id"])} to ${channel?.display ?? delivery.channel}: ${reply.status} ${reply.detail}${next}`);
    }
    yield* registry.recordDelivery(delivery.message_id, delivery.channel, outcome, iso(now));
  });

/** One pass of the deliverer: claim what is due now (this orchestrator's clock), send it, record it. */
export const deliverDue = (settings: AlertSettings) => {
  const channels = new Map(settings.channels.map((c) => [c.name, c]));
  return Effect.gen(function* () {
    const registry = yield* AlertRegistry;
    let sent = 0;
    // PARALLEL at a time, until nothing more is due (at most MAX_ROUNDS rounds a pass).
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = yield* Clock.currentTimeMillis;
      const claimed = yield* registry.claimDeliveries(iso(now), iso(now + Duration.toMillis(LEASE)), PARALLEL);
      yield* Effect.forEach(claimed, (d) => deliver(channels, d), { concurrency: PARALLEL, discard: true });
      sent += claimed.length;
      if (claimed.length < PARALLEL) break;
    }
    return sent;
  });
};

type Component = "broker" | "database";
type Outage = { readonly since: number; readonly detail: string; readonly alertId: number | null };

/**
 * The orchestrator's own broker and database: away for longer than
 * `outageSeconds` opens an alert (written when the database takes it: for a
 * database outage that is once it is back), and its return closes it with a
 * recovery. Each orchestrator speaks for itself (`orchestrator@<host>`).
 */
export const watchOutages = (settings: AlertSettings) =>
  Effect.gen(function* () {
    const readiness = yield* Readiness;
    const registry = yield* AlertRegistry;
    const policy = alertPolicy(settings);
    const who = `orchestrator@${hostname()}`;
    const outages = yield* Ref.make<ReadonlyMap<Component, Outage>>(new Map());
    const set = (c: Component, o: Outage | undefined) =>
      Ref.update(outages, (m) => {
        const next = new Map(m);
        if (o === undefined) next.delete(c);
        else next.set(c, o);
        return next;
      });
    return Effect.gen(function* () {
      const report = yield* readiness.get;
      const now = yield* Clock.currentTimeMillis;
      for (const component of ["broker", "database"] as const) {
        const state = report.components[component];
        const outage = (yield* Ref.get(outages)).get(component);
        if (!state.up) {
          if (outage === undefined) {
            yield* set(component, { since: now, detail: state.detail, alertId: null });
          } else if (outage.alertId === null && now - outage.since >= settings.outageSeconds * 1000) {
            const op = policy.outageOpened(who, component, outage.since, outage.detail, now);
            const written = yield* registry.apply([op]).pipe(Effect.option);
            if (written._tag === "Some") yield* set(component, { ...outage, alertId: written.value.alertIds[0] ?? -1 });
          }
          continue;
        }
        if (outage === undefined) continue;
        if (now - outage.since < settings.outageSeconds * 1000) {
          yield* set(component, undefined);
          continue;
        }
        // Back after a real outage: open it now if it could not be written before (the database was away), then its recovery.
        let alertId = outage.alertId;
        if (alertId === null) {
          const opened = yield* registry.apply([policy.outageOpened(who, component, outage.since, outage.detail, now)]).pipe(Effect.option);
          if (opened._tag === "None") continue;
          alertId = opened.value.alertIds[0] ?? -1;
        }
        const closed = alertId < 0 ? undefined : yield* registry.apply([policy.outageRecovered(who, component, alertId, outage.since, now)]).pipe(Effect.option);
        if (closed === undefined || closed._tag === "Some") yield* set(component, undefined);
      }
    });
  });

/** A pass that fails is logged when it starts failing and when it recovers, not every 500 ms while the database is away. */
const loggedOnChange = <E extends { readonly message: string }>(what: string, pass: Effect.Effect<unknown, E, AlertRegistry | OrchestratorMetrics>) =>
  Effect.gen(function* () {
    const failing = yield* Ref.make(false);
    return pass.pipe(
      Effect.matchEffect({
        onFailure: (e) =>
          Ref.getAndSet(failing, true).pipe(
            Effect.flatMap((was) => (was ? Effect.void : Effect.logWarning(`alerts: ${what} failed (retrying every ${Duration.format(ALERT_POLL)}): ${e.message}`)))
          ),
        onSuccess: () =>
          Ref.getAndSet(failing, false).pipe(Effect.flatMap((was) => (was ? Effect.logInfo(`alerts: ${what} works again`) : Effect.void)))
      })
    );
  });

/**
 * The alert worker (issue #17), once the database is up: every ALERT_POLL
 * the evaluator turns new liveness transitions into alerts in the outbox (one
 * orchestrator at a time, by the cursor's row lock), and the deliverer sends
 * the outbox's due messages (claimed with a lease, so each goes once whichever
 * orchestrators run). A database outage only delays them: everything waits in
 * the outbox, across restarts too.
 */
export const alertWorkerLayer = (settings: AlertSettings) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const registry = yield* AlertRegistry;
      const start = yield* DatabaseStart;
      const policy = alertPolicy(settings);
      const lastGpuCheck = yield* Ref.make(Number.NEGATIVE_INFINITY);
      const evaluate = yield* loggedOnChange(
        "evaluating transitions",
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis;
          const checkGpus = now - (yield* Ref.get(lastGpuCheck)) >= Duration.toMillis(GPU_CHECK);
          const result = yield* registry.evaluate(policy, { checkGpus });
          if (checkGpus && result.evaluated) yield* Ref.set(lastGpuCheck, now);
          if (result.messages > 0) yield* Effect.logInfo(`alerts: ${result.messages} message(s) to send`);
        })
      );
      const delivering = yield* loggedOnChange("delivering", deliverDue(settings));
      const outages = yield* watchOutages(settings);
      const loops = Effect.all(
        [
          Effect.repeat(evaluate, Schedule.spaced(ALERT_POLL)),
          Effect.repeat(delivering, Schedule.spaced(ALERT_POLL)),
          Effect.repeat(outages, Schedule.spaced(OUTAGE_POLL))
        ],
        { concurrency: 3, discard: true }
      );
      if (settings.channels.length > 0) {
        yield* Effect.logInfo(`alerts: ${settings.channels.map((c) => `${c.name} (${c.display})`).join(", ")}`);
      }
      yield* Effect.forkScoped(start.started.pipe(Effect.andThen(loops), Effect.ignore));
    })
  );
