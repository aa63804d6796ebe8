// The bare publisher of baseline a′ (see ../ingest.ts): plain rabbitmq-client
// publishers sending one fixed Buffer over and over, with the generator's
// connections, persistence, publisher confirms and window, and nothing else:
// no heartbeats, no agents, no pacing. What the broker and the client library
// move when the publishing side costs (next to) nothing.
import { performance } from "node:perf_hooks";
import { Connection } from "rabbitmq-client";
import { CONTENT_TYPE } from "@homelab/protocol";

export interface BareOptions {
  readonly url: string;
  readonly queue: string;
  readonly body: Buffer;
  readonly seconds: number;
  /** Unconfirmed publishes allowed in flight across all connections. */
  readonly window: number;
  /** Connections, each with one confirming publisher (as the generator: 2). */
  readonly connections: number;
  readonly signal?: AbortSignal;
}

/** The figures of LoadResult (tools/loadgen/agents.ts) that the bare publisher has too. */
export interface PublishSummary {
  readonly sent: number;
  readonly confirmed: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  readonly achievedRate: number;
  readonly elapsedSeconds: number;
  readonly startedAtMs: number;
  readonly cpuSeconds: number;
  readonly cpuMicrosPerMessage: number;
  readonly maxInFlight: number;
}

/**
 * Keeps `window` publishes in flight for `seconds`: one at the start per free
 * slot, then one more each time a confirm comes back. Waits for the last
 * confirm; closes its connections before returning.
 */
export const runBarePublisher = async (options: BareOptions): Promise<PublishSummary> => {
  const conns = Array.from({ length: options.connections }, () =>
    new Connection({ url: options.url, noDelay: true, retryLow: 200, retryHigh: 1000, connectionName: "bench-bare-publisher" })
  );
  let connectionError: string | undefined;
  for (const c of conns) c.on("error", (e) => (connectionError ??= e.message));
  const publishers: Array<ReturnType<Connection["createPublisher"]>> = [];
  try {
    for (const c of conns) await c.onConnect(10_000);
    for (const c of conns) publishers.push(c.createPublisher({ confirm: true, maxAttempts: 1 }));
    const envelope = { routingKey: options.queue, durable: true, contentType: CONTENT_TYPE };
    const { body, window } = options;
    let sent = 0;
    let confirmed = 0;
    let failed = 0;
    let firstError: string | undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    let stopped = false;
    let next = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));

    const settle = () => {
      inFlight -= 1;
      if (!stopped) pump();
      else if (inFlight === 0) done();
    };
    const onConfirm = () => {
      confirmed += 1;
      settle();
    };
    const onFail = (e: unknown) => {
      failed += 1;
      firstError ??= e instanceof Error ? e.message : String(e);
      stopped = true; // a failure ends the run: the figure would mean nothing
      settle();
    };
    const pump = () => {
      while (inFlight < window && !stopped) {
        const publisher = publishers[next] as (typeof publishers)[number];
        next = next + 1 === publishers.length ? 0 : next + 1;
        sent += 1;
        inFlight += 1;
        if (inFlight > maxInFlight) maxInFlight = inFlight;
        publisher.send(envelope, body).then(onConfirm, onFail);
      }
    };

    const cpuStart = process.cpuUsage();
    const startedAtMs = Date.now();
    const start = performance.now();
    const stop = () => {
      stopped = true;
      if (inFlight === 0) done();
    };
    const timer = setTimeout(stop, options.seconds * 1000);
    options.signal?.addEventListener("abort", stop, { once: true });
    pump();
    await finished;
    clearTimeout(timer);
    const elapsedSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return {
      sent,
      confirmed,
      failed,
      firstError: firstError ?? connectionError,
      achievedRate: confirmed / elapsedSeconds,
      elapsedSeconds,
      startedAtMs,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      cpuMicrosPerMessage: sent === 0 ? Number.NaN : (cpu.user + cpu.system) / sent,
      maxInFlight
    };
  } finally {
    for (const p of publishers) await p.close().catch(() => undefined);
    for (const c of conns) await c.close().catch(() => undefined);
  }
};
