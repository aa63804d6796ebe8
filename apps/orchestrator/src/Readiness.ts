import { Clock, Context, Effect, Layer, Option, Ref } from "effect";

/** The dependencies without which the orchestrator is not ready (SPEC §5, §6). */
export type Component = "broker" | "database";

export interface ComponentState {
  readonly up: boolean;
  /** Why it is down (or how it is up), in words for `/readyz`. */
  readonly detail: string;
}

export interface ReadinessReport {
  /** True only when every component is up. */
  readonly ready: boolean;
  readonly components: { readonly [C in Component]: ComponentState };
}

export interface ReadinessShape {
  /** Records a component's state; the broker and database connections call this as they go up and down. */
  readonly set: (component: Component, up: boolean, detail?: string) => Effect.Effect<void>;
  readonly get: Effect.Effect<ReadinessReport>;
  /**
   * Records whether heartbeat writes go through. Not a component of /readyz:
   * a write being retried (with backoff) can still be waiting after a ping has
   * found the database back, and until it lands the heartbeats it holds are
   * not in the registry. Writes flow until told otherwise.
   */
  readonly setWritesFlowing: (flowing: boolean) => Effect.Effect<void>;
  /**
   * When the orchestrator last became able to hear its agents (broker
   * consuming, database up and heartbeat writes going through, all at once),
   * by its own clock; None while it is not. The offline sweep counts its
   * grace from here.
   */
  readonly readySince: Effect.Effect<Option.Option<number>>;
}

const NOT_CONNECTED: ComponentState = { up: false, detail: "not connected yet" };

export class Readiness extends Context.Service<Readiness, ReadinessShape>()("@homelab/orchestrator/Readiness") {
  /** Both components start down ("not connected yet") until their connection reports in. */
  static readonly layer: Layer.Layer<Readiness> = Layer.effect(
    Readiness,
    Effect.gen(function* () {
      const broker = yield* Ref.make(NOT_CONNECTED);
      const database = yield* Ref.make(NOT_CONNECTED);
      const refs: Record<Component, Ref.Ref<ComponentState>> = { broker, database };
      const writesFlowing = yield* Ref.make(true);
      const since = yield* Ref.make<Option.Option<number>>(Option.none());
      const updateSince = Effect.gen(function* () {
        const hearing = (yield* Ref.get(broker)).up && (yield* Ref.get(database)).up && (yield* Ref.get(writesFlowing));
        const was = yield* Ref.get(since);
        if (!hearing) yield* Ref.set(since, Option.none());
        else if (Option.isNone(was)) yield* Ref.set(since, Option.some(yield* Clock.currentTimeMillis));
      });
      return {
        set: Effect.fn("Readiness.set")(function* (component: Component, up: boolean, detail?: string) {
          yield* Ref.set(refs[component], { up, detail: detail ?? (up ? "connected" : "down") });
          yield* updateSince;
        }),
        setWritesFlowing: (flowing) => Ref.set(writesFlowing, flowing).pipe(Effect.andThen(updateSince)),
        readySince: Ref.get(since),
        get: Effect.gen(function* () {
          const components = { broker: yield* Ref.get(broker), database: yield* Ref.get(database) };
          return { ready: components.broker.up && components.database.up, components };
        })
      };
    })
  );
}
