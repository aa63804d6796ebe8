import net from "node:net";
import { Effect, type Scope } from "effect";

/** A TCP proxy a test owns, between a client (an AMQP connection) and a server (the broker). */
export interface TcpProxy {
  /** The port it listens on, on 127.0.0.1 (ephemeral; the same for the proxy's whole life). */
  readonly port: number;
  /** `base` (e.g. an amqp:// URL) with its host and port replaced by the proxy's; credentials, vhost and query kept. */
  readonly url: (base: string) => string;
  /**
   * Simulates a network blip: resets every open connection pair at once, and
   * resets every new connection the moment it arrives until {@link restore}.
   */
  readonly cut: () => void;
  /** Ends a {@link cut}: new connections are relayed again, on the same port. */
  readonly restore: () => Promise<void>;
  /** Connection pairs open now (client accepted and not yet torn down). */
  readonly connections: () => number;
  /** Connections accepted and relayed since start (not those reset during a cut). */
  readonly acceptedTotal: () => number;
  /** Connections reset on arrival because the proxy was cut. */
  readonly refusedTotal: () => number;
  /**
   * Resolves as soon as `condition` holds (checked now and after every
   * accept, refusal and teardown), so tests wait on a receipt rather than a
   * sleep; rejects after `timeoutMs` (default 5000) saying what it saw.
   */
  readonly waitFor: (condition: () => boolean, timeoutMs?: number) => Promise<void>;
  /** Resets every pair and stops listening; afterwards nothing listens on {@link port}. Idempotent. */
  readonly close: () => Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

// A reset (RST) rather than a FIN: the peer sees ECONNRESET at once, as it
// would from a dropped route or a firewall, not an orderly goodbye.
const reset = (socket: net.Socket): void => {
  if (socket.destroyed) return;
  if (socket.readyState === "open") socket.resetAndDestroy();
  else socket.destroy();
};

/**
 * Starts a TCP proxy on 127.0.0.1 (ephemeral port) that relays every
 * connection to `target`. While cut, the listening socket stays open (so the
 * port can never be taken by anything else before {@link TcpProxy.restore})
 * and each incoming connection is reset as soon as it is accepted: a client
 * sees ECONNRESET right after connecting, never a hang. Close it when done.
 */
export const startTcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  const pairs = new Set<Pair>();
  const waiters = new Set<() => void>();
  let isCut = false;
  let closed = false;
  let accepted = 0;
  let refused = 0;

  const changed = (): void => {
    for (const check of [...waiters]) check();
  };

  // Abrupt: both sides reset at once (a cut, close(), or an error on either side).
  const teardown = (pair: Pair): void => {
    reset(pair.client);
    reset(pair.upstream);
    if (pairs.delete(pair)) changed();
  };

  // Orderly: one side has closed; the other is ended (after its pending
  // writes, e.g. the broker's close-ok, are flushed) and the pair stops
  // counting once both are closed.
  const settle = (pair: Pair): void => {
    for (const socket of [pair.client, pair.upstream]) if (!socket.destroyed) socket.end();
    if (pair.client.closed && pair.upstream.closed && pairs.delete(pair)) changed();
  };

  const server = net.createServer({ noDelay: true }, (client) => {
    if (isCut || closed) {
      refused++;
      // Without a listener the reset's own error event would be unhandled.
      client.on("error", () => undefined);
      reset(client);
      changed();
      return;
    }
    accepted++;
    // The proxy must not add Nagle delays of its own (see STACK.md: noDelay).
    const upstream = net.connect({ host: target.host, port: target.port, noDelay: true });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    // An error on either side resets both (a failure passes through as a
    // failure); an orderly close passes through as an orderly close. Either
    // way no half-open pair is left behind to hide what a test is after.
    for (const socket of [client, upstream]) {
      socket.on("error", () => teardown(pair));
      socket.on("close", () => settle(pair));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    changed();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error(`TcpProxy: unexpected listening address ${String(address)}`);
  }
  const port = address.port;

  const resetAll = (): void => {
    for (const pair of [...pairs]) teardown(pair);
  };

  const proxy: TcpProxy = {
    port,
    url: (base) => {
      const url = new URL(base);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    cut: () => {
      isCut = true;
      resetAll();
    },
    restore: async () => {
      if (closed) throw new Error("TcpProxy.restore: the proxy is closed");
      isCut = false;
    },
    connections: () => pairs.size,
    acceptedTotal: () => accepted,
    refusedTotal: () => refused,
    waitFor: (condition, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (condition()) return resolve();
        const check = (): void => {
          if (!condition()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `TcpProxy.waitFor: condition not met within ${timeoutMs} ms ` +
                `(open pairs ${pairs.size}, accepted ${accepted}, refused ${refused}, ${isCut ? "cut" : "not cut"})`
            )
          );
        }, timeoutMs);
        waiters.add(check);
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      resetAll();
      // server.close waits for accepted sockets to go; all were reset above.
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
  return proxy;
};

/** A proxy to the broker of `amqpUrl` for the life of the scope; connect through `proxy.url(amqpUrl)`. */
export const brokerProxy = (amqpUrl: string): Effect.Effect<TcpProxy, never, Scope.Scope> => {
  const broker = new URL(amqpUrl);
  return Effect.acquireRelease(
    Effect.promise(() => startTcpProxy({ host: broker.hostname, port: Number(broker.port || 5672) })),
    (proxy) => Effect.promise(() => proxy.close())
  );
};
