import { Context, Effect, Layer, Queue } from "effect";
import { WorkRegistry } from "@homelab/registry";
import { OrchestratorMetrics } from "../OrchestratorMetrics.ts";
import { Dispatcher } from "./Dispatcher.ts";
import { dispatchBooked } from "./submit.ts";

/** Where room may have appeared: these agents, or anywhere (a job was queued, an agent resumed, the periodic pass). */
export type Freed = ReadonlyArray<string> | "anywhere";

/**
 * Places queued work as soon as room may have appeared: a heartbeat batch
 * (its agents), a job ending (its agent), a job queued, an agent resumed.
 * Kicks coalesce: while one placement runs, later kicks gather their agents
 * and run once after it, so a burst of heartbeat batches costs one pass per
 * pass-time, never one per message, and no kick is lost. Each pass runs
 * under the registry's routing lock (several orchestrators never place a job
 * twice); what it books is dispatched like a submitted job.
 */
export class Placer extends Context.Service<Placer, { readonly kick: (freed: Freed) => Effect.Effect<void> }>()(
  "@homelab/orchestrator/Placer"
) {
  static readonly layer: Layer.Layer<Placer, never, WorkRegistry | Dispatcher | OrchestratorMetrics> = Layer.effect(
    Placer,
    Effect.gen(function* () {
      const registry = yield* WorkRegistry;
      const context = yield* Effect.context<WorkRegistry | Dispatcher | OrchestratorMetrics>();
      const signal = yield* Queue.dropping<void>(1);
      let anywhere = false;
      const agents = new Set<string>();
      const pass = Effect.gen(function* () {
        yield* Queue.take(signal);
        const among = anywhere ? undefined : [...agents];
        anywhere = false;
        agents.clear();
        const booked = yield* registry.place(among);
        yield* Effect.forEach(booked, (work) => dispatchBooked(work).pipe(Effect.ignore), { concurrency: 8, discard: true });
        if (booked.length > 0) yield* Effect.logInfo(`placed ${booked.length} queued job(s)`);
      }).pipe(
        Effect.provide(context),
        Effect.catchCause((cause) => Effect.logWarning("queued work placement failed; the next kick retries", cause))
      );
      yield* Effect.forkScoped(Effect.forever(pass));
      const kick = (freed: Freed) =>
        Effect.sync(() => {
          if (freed === "anywhere") anywhere = true;
          else for (const id of freed) agents.add(id);
        }).pipe(Effect.andThen(Queue.offer(signal, undefined)), Effect.asVoid);
      return { kick };
    })
  );
}
