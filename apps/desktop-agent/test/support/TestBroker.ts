import { Clock, Deferred, Effect, Layer, Ref } from "effect";
import { decodeMessage, encodeMessage, type Message } from "@homelab/protocol";
import {
  Broker,
  ConnectFailed,
  PublishFailed,
  type BrokerConnection,
  type Delivery,
  type Disposition
} from "@homelab/broker";

/**
 * An in-memory Broker for unit tests under a TestClock: records every connect
 * attempt (with the clock time), every published message (decoded), and lets
 * a test refuse connections, fail a publish, drop the connection or deliver a
 * work message. Integration tests use the real layer against RabbitMQ.
 */
export interface TestBrokerControl {
  readonly attempts: () => ReadonlyArray<number>;
  readonly published: () => ReadonlyArray<{ readonly queue: string; readonly message: Message; readonly at: number }>;
  readonly refuseConnects: (count: number) => void;
  readonly failNextPublish: () => void;
  readonly dropConnection: () => Effect.Effect<void>;
  /** What each handler decided, in order, with how many messages had been published by then. */
  readonly dispositions: () => ReadonlyArray<{ readonly disposition: Disposition; readonly publishedBefore: number }>;
  /** Hands a message to the consumer of `queue` (default: the agent's work queue); completes with what its handler decided. */
  readonly deliver: (
    body: unknown,
    options?: { readonly redelivered?: boolean; readonly userId?: string; readonly queue?: "work" | "control" }
  ) => Effect.Effect<Disposition>;
}

type Handler = (delivery: Delivery) => Effect.Effect<Disposition>;

interface Session {
  readonly lost: Deferred.Deferred<string>;
  /** The running consumers, by the last part of their queue's name (`work`, `control`). */
  readonly handlers: Map<string, Handler>;
  /** Like the real consumer: closing waits for these. */
  readonly inFlight: Set<Deferred.Deferred<void>>;
}

export const makeTestBroker = Effect.gen(function* () {
  const attempts: Array<number> = [];
  const published: Array<{ queue: string; message: Message; at: number }> = [];
  const dispositions: Array<{ disposition: Disposition; publishedBefore: number }> = [];
  let refuse = 0;
  let failPublish = false;
  const current = yield* Ref.make<Session | undefined>(undefined);

  const connect = Effect.gen(function* () {
    attempts.push(yield* Clock.currentTimeMillis);
    if (refuse > 0) {
      refuse -= 1;
      return yield* Effect.fail(new ConnectFailed({ message: "connect ECONNREFUSED 127.0.0.1:5672" }));
    }
    const lost = yield* Deferred.make<string>();
    const state: Session = { lost, handlers: new Map(), inFlight: new Set() };
    yield* Effect.acquireRelease(Ref.set(current, state), () => Ref.set(current, undefined));
    const conn: BrokerConnection = {
      declare: () => Effect.void,
      publish: (queue, sent) =>
        Effect.gen(function* () {
          if (failPublish) {
            failPublish = false;
            return yield* Effect.fail(new PublishFailed({ queue, message: "write ECONNRESET" }));
          }
          // As the wire carries it: encoded, then decoded as the orchestrator would.
          const decoded = decodeMessage(encodeMessage(sent));
          if (decoded._tag === "Failure") {
            return yield* Effect.die(new Error(`agent published an invalid message: ${decoded.failure.message}`));
          }
          published.push({ queue, message: decoded.success, at: yield* Clock.currentTimeMillis });
        }),
      consume: (options, handler) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            state.handlers.set(options.queue.queue.split(".").pop() ?? "", handler);
          }),
          (_, exit) =>
            Effect.gen(function* () {
              state.handlers.delete(options.queue.queue.split(".").pop() ?? "");
              if (options.onClosing !== undefined) yield* options.onClosing(exit);
              for (const done of state.inFlight) yield* Deferred.await(done);
            })
        ),
      lost: Deferred.await(lost)
    };
    return conn;
  });

  const control: TestBrokerControl = {
    attempts: () => [...attempts],
    published: () => [...published],
    dispositions: () => [...dispositions],
    refuseConnects: (count) => {
      refuse = count;
    },
    failNextPublish: () => {
      failPublish = true;
    },
    dropConnection: () =>
      Ref.get(current).pipe(
        Effect.flatMap((s) => (s === undefined ? Effect.void : Deferred.succeed(s.lost, "connection lost: test drop")))
      ),
    deliver: (body, options) =>
      Effect.gen(function* () {
        const s = yield* Ref.get(current);
        const handler = s?.handlers.get(options?.queue ?? "work");
        if (s === undefined || handler === undefined) return yield* Effect.die(new Error(`no consumer of the ${options?.queue ?? "work"} queue is running`));
        const done = yield* Deferred.make<void>();
        s.inFlight.add(done);
        return yield* handler({ body, redelivered: options?.redelivered ?? false, userId: options?.userId }).pipe(
          Effect.tap((disposition) => Effect.sync(() => dispositions.push({ disposition, publishedBefore: published.length }))),
          Effect.ensuring(Effect.andThen(Deferred.succeed(done, undefined), Effect.sync(() => s.inFlight.delete(done))))
        );
      })
  };
  return { control, layer: Layer.succeed(Broker, { connect }) };
});
