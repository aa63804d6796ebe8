import { Effect, type Scope } from "effect";
import { runLive } from "@homelab/testing";

/**
 * Acquires `resources` once for a describe block (in beforeAll) and releases
 * them in afterAll, through the shared `runLive` helper: its scope stays open
 * until afterAll, so databases, queues and child processes are cleaned up
 * exactly as in a single test, failures included.
 */
export const suiteResources = <A, E>(resources: Effect.Effect<A, E, Scope.Scope>, timeoutMs = 30_000): (() => A) => {
  let value: { readonly a: A } | undefined;
  let release: () => void = () => undefined;
  let finished: Promise<unknown> = Promise.resolve();

  beforeAll(async () => {
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let acquired: (a: A) => void = () => undefined;
    const ready = new Promise<A>((resolve) => {
      acquired = resolve;
    });
    const run = runLive(
      Effect.gen(function* () {
        const a = yield* resources;
        acquired(a);
        yield* Effect.promise(() => released);
      })
    );
    finished = run.catch(() => undefined);
    value = { a: await Promise.race([ready, run.then(() => Promise.reject(new Error("suite resources ended early")))]) };
  }, timeoutMs);

  afterAll(async () => {
    release();
    await finished;
  }, timeoutMs);

  return () => {
    if (value === undefined) throw new Error("suite resources were not acquired (see the beforeAll failure)");
    return value.a;
  };
};
