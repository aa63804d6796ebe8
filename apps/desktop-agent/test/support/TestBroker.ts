import { Clock, Deferred, Effect, Layer, Ref } from "effect";
import { decodeMessage, type Message } from "@homelab/protocol";
import { Broker, ConnectFailed, PublishFailed, type BrokerConnection, type Disposition } from "../../src/Broker.ts";

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
  readonly deliver: (body: unknown) => Effect.Effect<Disposition>;
}

export const makeTestBroker = Effect.gen(function* () {
  const attempts: Array<number> = [];
  const published: Array<{ queue: string; message: Message; at: number }> = [];
  let refuse = 0;
  let failPublish = false;
  const current = yield* Ref.make<
    { lost: Deferred.Deferred<string>; handler?: (body: unknown) => Effect.Effect<Disposition> } | undefined
  >(undefined);

  const connect = Effect.gen(function* () {
    attempts.push(yield* Clock.currentTimeMillis);
    if (refuse > 0) {
      refuse -= 1;
      return yield* Effect.fail(new ConnectFailed({ message: "connect ECONNREFUSED 127.0.0.1:5672" }));
    }
    const lost = yield* Deferred.make<string>();
    const state: { lost: Deferred.Deferred<string>; handler?: (body: unknown) => Effect.Effect<Disposition> } = { lost };
    yield* Effect.acquireRelease(Ref.set(current, state), () => Ref.set(current, undefined));
    const conn: BrokerConnection = {
      declare: () => Effect.void,
      publish: (queue, body) =>
        Effect.gen(function* () {
          if (failPublish) {
            failPublish = false;
            return yield* Effect.fail(new PublishFailed({ queue, message: "write ECONNRESET" }));
          }
          const decoded = decodeMessage(body);
          if (decoded._tag === "Failure") {
            return yield* Effect.die(new Error(`agent published an invalid message: ${decoded.failure.message}`));
          }
          published.push({ queue, message: decoded.success, at: yield* Clock.currentTimeMillis });
        }),
      consume: (_options, handler) =>
        Effect.sync(() => {
          state.handler = handler;
        }),
      lost: Deferred.await(lost)
    };
    return conn;
  });

  const control: TestBrokerControl = {
    attempts: () => [...attempts],
    published: () => [...published],
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
    deliver: (body) =>
      Ref.get(current).pipe(
        Effect.flatMap((s) =>
          s?.handler === undefined ? Effect.die(new Error("no consumer is running")) : s.handler(body)
        )
      )
  };
  return { control, layer: Layer.succeed(Broker, { connect }) };
});
