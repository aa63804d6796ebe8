import net from "node:net";
import { Connection } from "rabbitmq-client";
import { freePort } from "./ports.ts";
import { startTcpProxy, type TcpProxy } from "./tcpProxy.ts";
import { serviceUrls } from "./urls.ts";

// Everything a test opens is closed after it, whatever the outcome.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const proxyTo = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  const proxy = await startTcpProxy(target);
  cleanups.push(() => proxy.close());
  return proxy;
};

const brokerTarget = (): { host: string; port: number } => {
  const url = new URL(serviceUrls().amqpUrl);
  return { host: url.hostname, port: url.port === "" ? 5672 : Number(url.port) };
};

/** A client through the proxy that records its errors (an EventEmitter "error" with no listener would throw). */
const amqpThrough = (proxy: TcpProxy): { conn: Connection; errors: Array<unknown> } => {
  const conn = new Connection({ url: proxy.url(serviceUrls().amqpUrl), noDelay: true, retryLow: 50, retryHigh: 200 });
  const errors: Array<unknown> = [];
  conn.on("error", (error) => errors.push(error));
  cleanups.push(() => conn.close());
  return { conn, errors };
};

const next = (conn: Connection, event: "connection" | "error"): Promise<void> =>
  new Promise((resolve) => conn.once(event, () => resolve()));

// One broker round trip: a server-named exclusive queue, gone with the connection.
const roundTrip = async (conn: Connection): Promise<string> => (await conn.queueDeclare({ exclusive: true })).queue;

/**
 * What a fresh raw client sees on `port`: "relayed" if bytes come back for
 * the AMQP protocol header it sends (someone answered), else the socket error
 * code, or "closed" for a close with no error. Never waits on a timer.
 */
const attempt = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.on("connect", () => socket.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1")));
    socket.on("data", () => {
      socket.destroy();
      resolve("relayed");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on("close", () => resolve("closed"));
  });

// A reset can reach the client before or after it writes; it may then see
// either code, or just a close. What matters: nothing answered.
const WAS_RESET = ["ECONNRESET", "EPIPE", "closed"];

/** A local server that echoes what it gets, with no broker involved. */
const echoServer = async (): Promise<{ port: number; close: () => Promise<void> }> => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("echo server has no port");
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(close);
  return { port: address.port, close };
};

describe("TcpProxy", () => {
  it("rewrites a URL's host and port to the proxy and keeps credentials, vhost and query", async () => {
    const proxy = await proxyTo({ host: "127.0.0.1", port: await freePort() });
    expect(proxy.url("amqp://user:s3cret@rabbit.lan:5673/%2Fprod?heartbeat=5")).toBe(
      `amqp://user:s3cret@127.0.0.1:${proxy.port}/%2Fprod?heartbeat=5`
    );
    expect(proxy.url("amqp://guest:guest@127.0.0.1")).toBe(`amqp://guest:guest@127.0.0.1:${proxy.port}`);
  });

  it("relays bytes both ways, counts the pair while open, and passes an orderly close through", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo({ host: "127.0.0.1", port: echo.port });
    const socket = net.connect({ host: "127.0.0.1", port: proxy.port });
    const echoed = await new Promise<string>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("connect", () => socket.write("ping"));
      socket.once("data", (data) => resolve(data.toString()));
    });
    expect(echoed).toBe("ping");
    expect(proxy.connections()).toBe(1);
    expect(proxy.acceptedTotal()).toBe(1);
    socket.end();
    await proxy.waitFor(() => proxy.connections() === 0);
    expect(proxy.acceptedTotal()).toBe(1);
  });

  it("resets a client whose target cannot be reached rather than leaving it hanging", async () => {
    const proxy = await proxyTo({ host: "127.0.0.1", port: await freePort() });
    expect(WAS_RESET).toContain(await attempt(proxy.port));
    await proxy.waitFor(() => proxy.connections() === 0);
  });

  it("carries an AMQP connection to the broker", async () => {
    const proxy = await proxyTo(brokerTarget());
    const { conn, errors } = amqpThrough(proxy);
    await conn.onConnect(5000);
    expect(await roundTrip(conn)).toMatch(/^amq\.gen-/);
    expect(proxy.connections()).toBe(1);
    expect(proxy.acceptedTotal()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("cut() drops every open connection and refuses new ones; restore() lets the client reconnect on the same port", async () => {
    const proxy = await proxyTo(brokerTarget());
    const a = amqpThrough(proxy);
    const b = amqpThrough(proxy);
    await Promise.all([a.conn.onConnect(5000), b.conn.onConnect(5000)]);
    expect(proxy.connections()).toBe(2);
    const port = proxy.port;

    const dropped = Promise.all([next(a.conn, "error"), next(b.conn, "error")]);
    proxy.cut();
    expect(proxy.connections()).toBe(0);
    await dropped;
    expect(a.conn.ready).toBe(false);
    expect(b.conn.ready).toBe(false);

    // While cut: a fresh client is reset at once, and the clients' own
    // retries are refused too (each retries within 200 ms).
    expect(WAS_RESET).toContain(await attempt(port));
    await proxy.waitFor(() => proxy.refusedTotal() >= 3);
    expect(proxy.acceptedTotal()).toBe(2);
    expect(a.conn.ready).toBe(false);

    const back = Promise.all([next(a.conn, "connection"), next(b.conn, "connection")]);
    await proxy.restore();
    await back;
    expect(proxy.port).toBe(port);
    expect(proxy.connections()).toBe(2);
    expect(proxy.acceptedTotal()).toBe(4);
    expect(await roundTrip(a.conn)).toMatch(/^amq\.gen-/);
    expect(await attempt(port)).toBe("relayed");
  });

  it("after close() nothing listens on its port and its clients are disconnected", async () => {
    const proxy = await proxyTo(brokerTarget());
    const { conn } = amqpThrough(proxy);
    await conn.onConnect(5000);
    const dropped = next(conn, "error");
    await proxy.close();
    await dropped;
    expect(proxy.connections()).toBe(0);
    expect(await attempt(proxy.port)).toBe("ECONNREFUSED");
    await expect(proxy.close()).resolves.toBeUndefined();
    await expect(proxy.restore()).rejects.toThrow(/closed/);
  });
});
