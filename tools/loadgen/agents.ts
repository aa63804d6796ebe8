/**
 * Load generator: N simulated agents speaking the real protocol (SPEC §2).
 * Each agent has an agent_id `sim-<run>-<n>`, a boot_id and a seq counting
 * from 0; its heartbeats are `work_status` envelopes built with makeEnvelope
 * and encodeMessage from @homelab/protocol, published persistent with
 * content type application/json to the reply queue, round-robin over the
 * agents, at a target aggregate rate, with publisher confirms and a window of
 * unconfirmed publishes in flight, over one or more connections (noDelay).
 * An agent always publishes on the same connection, so its heartbeats reach
 * the queue in seq order.
 *
 * Used by tools/loadgen/main.ts (CLI) and tools/bench/ingest.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Connection } from "rabbitmq-client";
import {
  AgentId,
  CONTENT_TYPE,
  encodeMessage,
  type GpuMetrics,
  type GpuType,
  makeEnvelope,
  replyQueueTopology,
  type ResourceMetrics,
  type StatusUpdate
} from "@homelab/protocol";

export const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";

/** Refuses any broker but one on this machine: the load must never leave 127.0.0.1. */
export const assertLocalUrl = (url: string): void => {
  const host = new URL(url).hostname;
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") {
    throw new Error(`refusing to send load to ${host}: only 127.0.0.1 is allowed`);
  }
};

/** A short random run id, used in agent ids (`sim-<run>-<n>`). */
export const newRunId = (): string => randomBytes(3).toString("hex");

// ---------------------------------------------------------------------------
// The simulated fleet

interface GpuModel {
  readonly name: string;
  readonly vendor: Exclude<GpuType, "none">;
  /** As the vendor tool reports it, MiB (GB on the wire = MiB / 1024). */
  readonly vramMiB: number;
}

const GPU_MODELS: ReadonlyArray<GpuModel> = [
  { name: "NVIDIA GeForce RTX 4090", vendor: "nvidia", vramMiB: 24564 },
  { name: "NVIDIA GeForce RTX 3090", vendor: "nvidia", vramMiB: 24576 },
  { name: "NVIDIA GeForce RTX 3060", vendor: "nvidia", vramMiB: 12288 },
  { name: "NVIDIA GeForce RTX 4070", vendor: "nvidia", vramMiB: 12282 },
  { name: "NVIDIA RTX A4000", vendor: "nvidia", vramMiB: 16376 },
  { name: "AMD Radeon RX 7900 XTX", vendor: "amd", vramMiB: 24560 }
];

const CAPABILITIES_GPU = ["ollama:llama3", "whisper", "comfyui", "shell"];
const CAPABILITIES_CPU = ["shell", "ffmpeg"];

interface SimGpu {
  readonly model: GpuModel;
  readonly uuid: string | null;
  /** Fraction of VRAM in use, random-walked between heartbeats. */
  usedFraction: number;
}

/** One simulated agent; `seq` is the next seq it will send. */
export interface SimAgent {
  readonly index: number;
  readonly agentId: AgentId;
  readonly bootId: string;
  seq: number;
  readonly agentType: "desktop" | "server";
  readonly poolName: string | undefined;
  readonly cores: number;
  readonly memoryTotalGb: number;
  readonly gpus: ReadonlyArray<SimGpu>;
  readonly capabilities: ReadonlyArray<string>;
  load1: number;
  memoryUsedFraction: number;
}

/** Deterministic per-agent choices (so runs are comparable), random per-heartbeat figures. */
const pick = <A>(items: ReadonlyArray<A>, n: number): A => items[n % items.length] as A;

const round2 = (x: number): number => Math.round(x * 100) / 100;
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export const makeFleet = (runId: string, count: number): ReadonlyArray<SimAgent> =>
  Array.from({ length: count }, (_, n) => {
    // About a quarter without a GPU, half with one, a quarter with two.
    const gpuCount = n % 4 === 0 ? 0 : n % 4 === 3 ? 2 : 1;
    const model = pick(GPU_MODELS, n * 7 + 3);
    const gpus: Array<SimGpu> = Array.from({ length: gpuCount }, (_, i) => ({
      model: i === 0 ? model : model.vendor === "amd" ? model : pick(GPU_MODELS.filter((m) => m.vendor === "nvidia"), n + i),
      // rocm-smi and some drivers do not report a UUID: null, as the schema allows.
      uuid: model.vendor === "amd" ? null : `GPU-${randomUUID()}`,
      usedFraction: Math.random() * 0.6
    }));
    const server = n % 5 === 0;
    return {
      index: n,
      agentId: AgentId.make(`sim-${runId}-${n}`),
      bootId: randomUUID(),
      seq: 0,
      agentType: server ? "server" : "desktop",
      poolName: n % 3 === 0 ? undefined : server ? "rack_pool_a" : "desk_pool_b",
      cores: pick([8, 12, 16, 24, 32], n),
      memoryTotalGb: pick([15.5, 31.26, 62.7, 125.7], n * 3),
      gpus,
      capabilities: gpuCount > 0 ? CAPABILITIES_GPU : CAPABILITIES_CPU,
      load1: Math.random() * 4,
      memoryUsedFraction: 0.2 + Math.random() * 0.5
    };
  });

const gpuFigures = (gpu: SimGpu, index: number): GpuMetrics => {
  gpu.usedFraction = clamp(gpu.usedFraction + (Math.random() - 0.5) * 0.05, 0.02, 0.98);
  const total = round2(gpu.model.vramMiB / 1024);
  const used = round2(total * gpu.usedFraction);
  return {
    index,
    uuid: gpu.uuid,
    name: gpu.model.name,
    vram_total_gb: total,
    vram_used_gb: used,
    vram_available_gb: round2(Math.max(0, total - used)),
    utilization_percent: Math.round(gpu.usedFraction * 100),
    temperature_c: gpu.model.vendor === "amd" ? null : 35 + Math.round(gpu.usedFraction * 40)
  };
};

/** The agent's next heartbeat payload (advances its seq). */
export const nextHeartbeat = (agent: SimAgent, nowIso: string): StatusUpdate => {
  agent.load1 = clamp(agent.load1 + (Math.random() - 0.5) * 0.4, 0, agent.cores * 1.5);
  agent.memoryUsedFraction = clamp(agent.memoryUsedFraction + (Math.random() - 0.5) * 0.02, 0.05, 0.95);
  const gpus = agent.gpus.map(gpuFigures);
  const vramTotal = round2(gpus.reduce((s, g) => s + g.vram_total_gb, 0));
  const vramAvailable = round2(Math.min(vramTotal, gpus.reduce((s, g) => s + g.vram_available_gb, 0)));
  const memoryAvailable = round2(agent.memoryTotalGb * (1 - agent.memoryUsedFraction));
  const resources: ResourceMetrics = {
    cpu_load_1min: round2(agent.load1),
    cpu_load_5min: round2(agent.load1 * 0.9),
    cpu_load_15min: round2(agent.load1 * 0.8),
    cpu_cores_total: agent.cores,
    cpu_cores_available: round2(Math.max(0, agent.cores - agent.load1)),
    memory_total_gb: agent.memoryTotalGb,
    memory_available_gb: Math.min(memoryAvailable, agent.memoryTotalGb),
    memory_percent: round2(agent.memoryUsedFraction * 100),
    gpu_type: agent.gpus[0]?.model.vendor ?? "none",
    gpu_count: gpus.length,
    gpu_vram_total_gb: vramTotal,
    gpu_vram_available_gb: vramAvailable,
    gpus,
    collected_at: nowIso,
    collection_errors: []
  };
  const seq = agent.seq;
  agent.seq += 1;
  return {
    agent_id: agent.agentId,
    agent_type: agent.agentType,
    ...(agent.poolName === undefined ? {} : { pool_name: agent.poolName }),
    status: agent.index % 10 === 1 ? "busy" : "online",
    boot_id: agent.bootId,
    seq,
    capabilities: agent.capabilities,
    resources,
    current_work: []
  };
};

/** A heartbeat as wire bytes (Buffer, so rabbitmq-client sends it as is), with its seq and message id. */
export const nextHeartbeatMessage = (agent: SimAgent): { readonly body: Buffer; readonly seq: number; readonly messageId: string } => {
  const now = new Date().toISOString();
  const payload = nextHeartbeat(agent, now);
  const messageId = randomUUID();
  const bytes = encodeMessage(makeEnvelope({ type: "work_status", sender: agent.agentId, payload, message_id: messageId, sent_at: now }));
  // A plain Uint8Array would be JSON.stringify'd by rabbitmq-client: wrap the bytes as a Buffer.
  return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), seq: payload.seq, messageId };
};

// ---------------------------------------------------------------------------
// Publishing

export interface LoadOptions {
  readonly amqpUrl?: string;
  /** The reply queue to publish to (declared with the protocol's topology unless `declare` is false). */
  readonly queue: string;
  readonly agents: number;
  /** Target aggregate messages/s; Infinity = as fast as the window allows. */
  readonly rate: number;
  readonly seconds: number;
  readonly runId?: string;
  /** Reuse a fleet (e.g. to continue seqs); default: a fresh one for `runId`. */
  readonly fleet?: ReadonlyArray<SimAgent>;
  /** Connections (each with one confirming publisher); default 2. */
  readonly connections?: number;
  /** Unconfirmed publishes allowed in flight across all connections; default 1000. */
  readonly window?: number;
  readonly declare?: boolean;
  readonly signal?: AbortSignal;
  /** Called about once a second while publishing. */
  readonly onProgress?: (progress: LoadProgress) => void;
}

export interface LoadProgress {
  readonly elapsedSeconds: number;
  readonly sent: number;
  readonly confirmed: number;
  readonly failed: number;
  readonly inFlight: number;
}

export interface LoadResult {
  readonly runId: string;
  readonly agentIds: ReadonlyArray<string>;
  readonly bootIdByAgent: ReadonlyMap<string, string>;
  /** Publishes attempted. */
  readonly sent: number;
  readonly confirmed: number;
  /** Publishes the broker nacked or that failed (connection errors). */
  readonly failed: number;
  readonly firstError: string | undefined;
  /** Per agent, the highest seq the broker confirmed; agents with none confirmed are absent. */
  readonly confirmedLastSeqByAgent: ReadonlyMap<string, number>;
  /** Confirmed messages per second over `elapsedSeconds`. */
  readonly achievedRate: number;
  readonly targetRate: number;
  /** Wall time from the first publish to the last confirm. */
  readonly elapsedSeconds: number;
  /** Wall time of the publishing loop alone (until the last publish was handed to the socket). */
  readonly publishSeconds: number;
  /** Wall-clock (Date.now()) bounds, for comparing with other processes. */
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  /** CPU seconds (user + system) this process used while the generator ran. */
  readonly cpuSeconds: number;
  /** Largest number of unconfirmed publishes seen in flight. */
  readonly maxInFlight: number;
  /** Time the publishing loop spent with the window full, waiting for broker confirms. */
  readonly windowFullSeconds: number;
}

/** Declares the reply queue exactly as the protocol does: the dead-letter queue first. */
export const declareReplyQueue = async (conn: Connection, queue: string): Promise<void> => {
  const topology = replyQueueTopology(queue);
  const dead = topology.deadLetterQueue;
  await conn.queueDeclare({ queue: dead.queue, durable: dead.durable, arguments: { ...dead.arguments } });
  await conn.queueDeclare({ queue: topology.queue, durable: topology.durable, arguments: { ...topology.arguments } });
};

/** Deletes these queues (missing ones are fine) over a connection of its own. */
export const deleteQueues = async (url: string, queues: ReadonlyArray<string>): Promise<void> => {
  assertLocalUrl(url);
  const conn = new Connection({ url, noDelay: true, retryLow: 200, retryHigh: 1000 });
  try {
    await conn.onConnect(10_000);
    for (const queue of queues) await conn.queueDelete({ queue });
  } finally {
    await conn.close().catch(() => undefined);
  }
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Publishes heartbeats for `seconds` at `rate` (aggregate), round-robin over
 * the fleet, and waits for every confirm. Connections are opened here and
 * closed before it returns; queues are left for the caller to delete.
 */
export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const url = options.amqpUrl ?? DEFAULT_AMQP_URL;
  assertLocalUrl(url);
  const runId = options.runId ?? newRunId();
  const fleet = options.fleet ?? makeFleet(runId, options.agents);
  if (fleet.length === 0) throw new Error("no agents to simulate");
  const connectionCount = Math.max(1, options.connections ?? 2);
  const window = Math.max(1, options.window ?? 1000);
  const rate = options.rate;
  if (!(rate > 0)) throw new Error(`rate must be > 0 (got ${rate})`);

  const conns = Array.from({ length: connectionCount }, () =>
    new Connection({ url, noDelay: true, retryLow: 200, retryHigh: 1000, connectionName: `loadgen-${runId}` })
  );
  let connectionError: string | undefined;
  for (const c of conns) c.on("error", (e) => (connectionError ??= errorText(e)));
  const publishers: Array<ReturnType<Connection["createPublisher"]>> = [];
  try {
    for (const c of conns) await c.onConnect(10_000);
    const first = conns[0];
    if (first === undefined) throw new Error("no connection");
    if (options.declare !== false) await declareReplyQueue(first, options.queue);
    for (const c of conns) publishers.push(c.createPublisher({ confirm: true, maxAttempts: 1 }));

    const lastSeq = new Map<string, number>();
    let sent = 0;
    let confirmed = 0;
    let failed = 0;
    let firstError: string | undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    let slotWaiter: (() => void) | undefined;
    const allSettled = new Set<Promise<void>>();

    const settle = () => {
      inFlight -= 1;
      if (slotWaiter !== undefined && inFlight < window) {
        const w = slotWaiter;
        slotWaiter = undefined;
        w();
      }
    };

    const publishOne = (agent: SimAgent) => {
      const publisher = publishers[agent.index % publishers.length];
      if (publisher === undefined) throw new Error("no publisher");
      const { body, seq, messageId } = nextHeartbeatMessage(agent);
      sent += 1;
      inFlight += 1;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      const id: string = agent.agentId;
      const p = publisher
        .send({ routingKey: options.queue, durable: true, contentType: CONTENT_TYPE, messageId }, body)
        .then(
          () => {
            confirmed += 1;
            const prev = lastSeq.get(id);
            if (prev === undefined || seq > prev) lastSeq.set(id, seq);
          },
          (e: unknown) => {
            failed += 1;
            firstError ??= errorText(e);
          }
        )
        .finally(() => {
          settle();
          allSettled.delete(p);
        });
      allSettled.add(p);
    };

    const cpuStart = process.cpuUsage();
    const startedAtMs = Date.now();
    const start = performance.now();
    const deadline = start + options.seconds * 1000;
    let lastProgress = start;
    let windowFullMs = 0;
    let next = 0;
    const BURST = 250; // publishes per turn before letting confirms in
    const TICK_MS = 4;
    while (!options.signal?.aborted) {
      const now = performance.now();
      if (now >= deadline) break;
      if (options.onProgress !== undefined && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress({ elapsedSeconds: (now - start) / 1000, sent, confirmed, failed, inFlight });
      }
      if (failed > 0 && connectionError !== undefined) break; // the broker went away: stop, report
      const due = Number.isFinite(rate) ? Math.floor(((now - start) / 1000) * rate) : Number.POSITIVE_INFINITY;
      let burst = 0;
      while (sent < due && inFlight < window && burst < BURST) {
        const agent = fleet[next] as SimAgent;
        next = (next + 1) % fleet.length;
        publishOne(agent);
        burst += 1;
      }
      if (inFlight >= window) {
        const waitStart = performance.now();
        await new Promise<void>((resolve) => (slotWaiter = resolve));
        windowFullMs += performance.now() - waitStart;
      } else if (sent >= due) {
        // Ahead of schedule: wait a tick, then send what fell due meanwhile. A tick
        // of a few ms sends small bursts, which costs far less CPU per message
        // (fewer wake-ups, coalesced socket writes) than waking per message.
        await sleep(TICK_MS);
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    const publishSeconds = (performance.now() - start) / 1000;
    while (allSettled.size > 0) await Promise.all([...allSettled]);
    const elapsedSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return {
      runId,
      agentIds: fleet.map((a) => a.agentId),
      bootIdByAgent: new Map(fleet.map((a) => [a.agentId as string, a.bootId])),
      sent,
      confirmed,
      failed,
      firstError: firstError ?? connectionError,
      confirmedLastSeqByAgent: lastSeq,
      achievedRate: confirmed / elapsedSeconds,
      targetRate: rate,
      elapsedSeconds,
      publishSeconds,
      startedAtMs,
      endedAtMs: Date.now(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxInFlight,
      windowFullSeconds: windowFullMs / 1000
    };
  } finally {
    for (const p of publishers) await p.close().catch(() => undefined);
    for (const c of conns) await c.close().catch(() => undefined);
  }
};
