import { Effect, Scope } from "effect";
import { Connection } from "rabbitmq-client";
import { uniqueName } from "./names.ts";
import { serviceUrls } from "./urls.ts";

export { uniqueName } from "./names.ts";

export interface TestQueues {
  /** Returns a queue name unique to this suite and registers it for deletion. */
  readonly name: (base: string) => string;
  /** Registers a queue someone else named (e.g. `agent.<id>.work`) for deletion too. */
  readonly adopt: (name: string) => string;
  /** Every name handed out so far. */
  readonly names: () => ReadonlyArray<string>;
}

/**
 * Hands out queue names unique to one suite and deletes every queue so named
 * (and its `.dead` companion, and for an agent's work queue its control
 * queue) on the resolved broker when the scope closes.
 */
export const testQueues = (): Effect.Effect<TestQueues, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const issued: Array<string> = [];
      return {
        name: (base: string) => {
          const n = uniqueName(base);
          issued.push(n);
          return n;
        },
        adopt: (n: string) => {
          issued.push(n);
          return n;
        },
        names: () => [...issued]
      } satisfies TestQueues;
    }),
    (queues) =>
      Effect.promise(async () => {
        if (queues.names().length === 0) return;
        const conn = new Connection({ url: serviceUrls().amqpUrl, noDelay: true, retryLow: 100, retryHigh: 500 });
        try {
          await conn.onConnect(5000);
          for (const q of queues.names()) {
            await conn.queueDelete({ queue: q });
            await conn.queueDelete({ queue: `${q}.dead` });
            // An agent's work queue has a control queue beside it (work_cancel): never leave one behind,
            // each is a quorum queue the broker keeps (and recovers on every restart) forever.
            const agent = /^agent\.(.+)\.work$/.exec(q)?.[1];
            if (agent !== undefined) await conn.queueDelete({ queue: `agent.${agent}.control` });
          }
        } finally {
          await conn.close();
        }
      })
  );
