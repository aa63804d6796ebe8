import { sql } from "drizzle-orm";
import { type Context, Effect, Exit, Layer, Scope } from "effect";
import { runLive } from "@homelab/testing";
import type { RegistryError } from "../src/index.ts";
import { exec } from "./fixtures.ts";
import { capacityTests } from "./suite/capacity.ts";
import { ingestTests } from "./suite/ingest.ts";
import { livenessTests } from "./suite/liveness.ts";
import { migrationAndLockTests } from "./suite/locks.ts";
import { readingTests } from "./suite/reading.ts";
import { refusedTests } from "./suite/refused.ts";
import type { Run, Services } from "./suite/run.ts";
import { queueTests } from "./suite/queue.ts";
import { historyTests } from "./suite/history.ts";
import { workTests } from "./suite/work.ts";
import { alertTests } from "./suite/alerts.ts";

export type { Run, Services } from "./suite/run.ts";

export interface Opened<T> {
  readonly layer: Layer.Layer<Services, RegistryError>;
  readonly extra: T;
}

export interface Suite<T> {
  readonly run: Run;
  /** What `open` handed over besides the layer (e.g. the database URL). */
  readonly extra: () => T;
}

/**
 * The repository's behaviour, the same for every driver. One database (one
 * PGlite instance: ~3 s and ~0.9 GB each) serves the whole file.
 */
export const describeRepository = <T>(
  driver: string,
  open: Effect.Effect<Opened<T>, never, Scope.Scope>,
  more?: (suite: Suite<T>) => void
): void =>
  describe(`AgentRegistry on ${driver}`, () => {
    let scope: Scope.Closeable | undefined;
    let context: Context.Context<Services> | undefined;
    let extra: T | undefined;

    beforeAll(async () => {
      scope = await Effect.runPromise(Scope.make());
      const opened = await Effect.runPromise(open.pipe(Scope.provide(scope)));
      extra = opened.extra;
      context = await Effect.runPromise(Layer.buildWithScope(opened.layer, scope));
    });

    afterAll(async () => {
      if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void));
    });

    const suite: Suite<T> = {
      run: (effect) => {
        if (context === undefined) throw new Error("the suite's database did not open");
        return runLive(Effect.provide(effect, context));
      },
      extra: () => {
        if (extra === undefined) throw new Error("the suite's database did not open");
        return extra;
      }
    };
    const { run } = suite;

    beforeEach(() =>
      run(
        exec(sql`truncate agent_registry, agent_status_transitions, work, alerts, alert_messages, alert_deliveries restart identity`).pipe(
          Effect.andThen(exec(sql`update alert_cursor set last_transition_id = 0`))
        )
      )
    );

    ingestTests(run);
    livenessTests(run);
    capacityTests(run);
    readingTests(run);
    migrationAndLockTests(run);
    workTests(run);
    queueTests(run);
    historyTests(run);
    refusedTests(run);
    alertTests(run);
    more?.(suite);
  });
