/**
 * Load generator: N simulated agents speaking the real protocol (SPEC §2).
 * Each agent has an agent_id `sim-<run>-<n>`, a boot_id and a seq counting
 * from 0; its heartbeats are `work_status` envelopes built with makeEnvelope
 * and encoded by @homelab/protocol once per agent, as a template whose
 * per-message fields (message_id, sent_at, seq, a few figures) are then
 * patched in place for each message (nextHeartbeatMessage; wire.ts), so the
 * generator's CPU goes to publishing, not to encoding. Published persistent with
 * content type application/json to the reply queue, round-robin over the
 * agents, at a target aggregate rate, with publisher confirms and a window of
 * unconfirmed publishes in flight, over one or more connections (noDelay).
 * An agent always publishes on the same connection, so its heartbeats reach
 * the queue in seq order. The sockets are corked around each burst of
 * publishes (a few writev calls a burst rather than one a message).
 *
 * Used by tools/loadgen/main.ts (CLI) and tools/bench/ingest.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Result } from "effect";
import { Connection } from "rabbitmq-client";
import {
  AgentId,
  CONTENT_TYPE,
  decodeMessage,
  encodeMessageString,
  type GpuMetrics,
  type GpuType,
  makeEnvelope,
  replyQueueTopology,
  type ResourceMetrics,
  type StatusUpdate
} from "@homelab/protocol";
import { makeWireTemplate, type Slot, type SlotSpec, writeHundredths, writeInt, writeText } from "./wire.ts";

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

/** A GPU's figures in hundredths of a GB (integers, so the sums agree exactly with their parts). */
const gpuHundredths = (gpu: SimGpu): { readonly total: number; readonly used: number; readonly available: number } => {
  const total = Math.round((gpu.model.vramMiB / 1024) * 100);
  const used = Math.round(total * gpu.usedFraction);
  return { total, used, available: Math.max(0, total - used) };
};

const gpuFigures = (gpu: SimGpu, index: number): GpuMetrics => {
  const h = gpuHundredths(gpu);
  return {
    index,
    uuid: gpu.uuid,
    name: gpu.model.name,
    vram_total_gb: h.total / 100,
    vram_used_gb: h.used / 100,
    vram_available_gb: h.available / 100,
    utilization_percent: Math.round(gpu.usedFraction * 100),
    temperature_c: gpu.model.vendor === "amd" ? null : 35 + Math.round(gpu.usedFraction * 40)
  };
};

/** Random-walks the agent's figures one heartbeat on. */
const advance = (agent: SimAgent): void => {
  agent.load1 = clamp(agent.load1 + (Math.random() - 0.5) * 0.4, 0, agent.cores * 1.5);
  agent.memoryUsedFraction = clamp(agent.memoryUsedFraction + (Math.random() - 0.5) * 0.02, 0.05, 0.95);
  for (const gpu of agent.gpus) gpu.usedFraction = clamp(gpu.usedFraction + (Math.random() - 0.5) * 0.05, 0.02, 0.98);
};

/** memory_available_gb in hundredths, never above memory_total_gb. */
const memoryAvailableHundredths = (agent: SimAgent): number =>
  Math.min(Math.round(agent.memoryTotalGb * (1 - agent.memoryUsedFraction) * 100), Math.round(agent.memoryTotalGb * 100));

/** The heartbeat payload for the agent's current figures (does not advance anything). */
const heartbeatPayload = (agent: SimAgent, seq: number, nowIso: string): StatusUpdate => {
  const gpus = agent.gpus.map(gpuFigures);
  const gpuH = agent.gpus.map(gpuHundredths);
  const resources: ResourceMetrics = {
    cpu_load_1min: round2(agent.load1),
    cpu_load_5min: round2(agent.load1 * 0.9),
    cpu_load_15min: round2(agent.load1 * 0.8),
    cpu_cores_total: agent.cores,
    cpu_cores_available: round2(Math.max(0, agent.cores - agent.load1)),
    memory_total_gb: agent.memoryTotalGb,
    memory_available_gb: memoryAvailableHundredths(agent) / 100,
    memory_percent: round2(agent.memoryUsedFraction * 100),
    gpu_type: agent.gpus[0]?.model.vendor ?? "none",
    gpu_count: gpus.length,
    gpu_vram_total_gb: gpuH.reduce((s, g) => s + g.total, 0) / 100,
    gpu_vram_available_gb: gpuH.reduce((s, g) => s + g.available, 0) / 100,
    gpus,
    collected_at: nowIso,
    collection_errors: []
  };
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

/** The agent's next heartbeat payload (advances its figures and its seq). */
export const nextHeartbeat = (agent: SimAgent, nowIso: string): StatusUpdate => {
  advance(agent);
  const payload = heartbeatPayload(agent, agent.seq, nowIso);
  agent.seq += 1;
  return payload;
};

// ---------------------------------------------------------------------------
// Heartbeats on the wire: a pre-encoded template per agent, patched per message

/** Digits of the seq slot: seqs up to 9,999,999,999 (a larger one throws). */
export const SEQ_WIDTH = 10;
/** Characters of a hundredths slot ("99999.99"). */
const FIGURE_WIDTH = 8;
const UUID_WIDTH = 36;
/** new Date().toISOString() for years 0000-9999. */
const ISO_WIDTH = 24;

/** An agent's pre-encoded heartbeat and the slots patched per message. */
export interface HeartbeatTemplate {
  readonly bytes: Buffer;
  readonly messageId: Slot;
  readonly sentAt: Slot;
  readonly collectedAt: Slot;
  readonly seq: Slot;
  readonly cpuLoad1: Slot;
  readonly memoryAvailable: Slot;
  readonly gpuVramAvailable: Slot;
  readonly gpus: ReadonlyArray<{ readonly used: Slot; readonly available: Slot; readonly utilization: Slot }>;
}

const templates = new WeakMap<SimAgent, HeartbeatTemplate>();

/**
 * Encodes the agent's heartbeat once, through the protocol's encoder, checks
 * it with the protocol's decoder, and turns the per-message fields into
 * fixed-width slots (see wire.ts). Does not advance the agent.
 */
export const heartbeatTemplate = (agent: SimAgent): HeartbeatTemplate => {
  const cached = templates.get(agent);
  if (cached !== undefined) return cached;
  const now = new Date().toISOString();
  const payload = heartbeatPayload(agent, agent.seq, now);
  const message = makeEnvelope({ type: "work_status", sender: agent.agentId, payload, message_id: randomUUID(), sent_at: now });
  const p = ["payload", "resources"] as const;
  const specs: Array<SlotSpec> = [
    { path: ["message_id"], kind: "text", width: UUID_WIDTH },
    { path: ["sent_at"], kind: "text", width: ISO_WIDTH },
    { path: [...p, "collected_at"], kind: "text", width: ISO_WIDTH },
    { path: ["payload", "seq"], kind: "int", width: SEQ_WIDTH },
    { path: [...p, "cpu_load_1min"], kind: "hundredths", width: FIGURE_WIDTH },
    { path: [...p, "memory_available_gb"], kind: "hundredths", width: FIGURE_WIDTH },
    { path: [...p, "gpu_vram_available_gb"], kind: "hundredths", width: FIGURE_WIDTH },
    ...agent.gpus.flatMap((_, i): Array<SlotSpec> => [
      { path: [...p, "gpus", i, "vram_used_gb"], kind: "hundredths", width: FIGURE_WIDTH },
      { path: [...p, "gpus", i, "vram_available_gb"], kind: "hundredths", width: FIGURE_WIDTH },
      { path: [...p, "gpus", i, "utilization_percent"], kind: "int", width: 3 }
    ])
  ];
  const wire = makeWireTemplate(encodeMessageString(message), specs);
  const checked = decodeMessage(wire.bytes);
  if (Result.isFailure(checked)) throw new Error(`heartbeat template of ${agent.agentId} does not decode: ${checked.failure.message}`);
  const [messageId, sentAt, collectedAt, seq, cpuLoad1, memoryAvailable, gpuVramAvailable, ...gpuSlots] = wire.slots as Array<Slot>;
  const template: HeartbeatTemplate = {
    bytes: wire.bytes,
    messageId: messageId!,
    sentAt: sentAt!,
    collectedAt: collectedAt!,
    seq: seq!,
    cpuLoad1: cpuLoad1!,
    memoryAvailable: memoryAvailable!,
    gpuVramAvailable: gpuVramAvailable!,
    gpus: agent.gpus.map((_, i) => ({ used: gpuSlots[3 * i]!, available: gpuSlots[3 * i + 1]!, utilization: gpuSlots[3 * i + 2]! }))
  };
  templates.set(agent, template);
  return template;
};

// The ISO time, recomputed at most once a millisecond.
let isoMs = -1;
let isoText = "";
const isoNow = (): string => {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
};

/**
 * The agent's next heartbeat as wire bytes (a Buffer, so rabbitmq-client sends
 * it as is), with its seq and message id: a copy of the agent's template with
 * a fresh message_id, sent_at (= collected_at), seq, cpu_load_1min,
 * memory_available_gb and GPU VRAM figures written into their slots; the other
 * figures stay as they were when the template was made. Advances the agent;
 * a seq too large for its slot throws (and the agent is left as it was).
 */
export const nextHeartbeatMessage = (agent: SimAgent): { readonly body: Buffer; readonly seq: number; readonly messageId: string } => {
  const t = heartbeatTemplate(agent);
  const seq = agent.seq;
  const body = Buffer.allocUnsafe(t.bytes.length);
  t.bytes.copy(body);
  writeInt(body, t.seq, seq);
  advance(agent);
  agent.seq = seq + 1;
  const messageId = randomUUID();
  const now = isoNow();
  writeText(body, t.messageId, messageId);
  writeText(body, t.sentAt, now);
  writeText(body, t.collectedAt, now);
  writeHundredths(body, t.cpuLoad1, Math.round(agent.load1 * 100));
  writeHundredths(body, t.memoryAvailable, memoryAvailableHundredths(agent));
  let vramAvailable = 0;
  for (let i = 0; i < t.gpus.length; i++) {
    const slots = t.gpus[i]!;
    const gpu = agent.gpus[i]!;
    const h = gpuHundredths(gpu);
    vramAvailable += h.available;
    writeHundredths(body, slots.used, h.used);
    writeHundredths(body, slots.available, h.available);
    writeInt(body, slots.utilization, Math.round(gpu.usedFraction * 100));
  }
  writeHundredths(body, t.gpuVramAvailable, vramAvailable);
  return { body, seq, messageId };
};

/**
 * CPU µs (process.cpuUsage) that nextHeartbeatMessage takes per message, in a
 * tight loop over a scratch fleet of `agents` (templates made first, not
 * counted): building a heartbeat alone, without publishing it. Warm caches,
 * so a lower bound for the same work amid publishing.
 */
export const heartbeatBuildMicros = (agents = 64, messages = 100_000): number => {
  const fleet = makeFleet(newRunId(), agents);
  for (const agent of fleet) heartbeatTemplate(agent);
  for (let i = 0; i < 50_000; i++) nextHeartbeatMessage(fleet[i % agents] as SimAgent); // warm-up (JIT)
  const start = process.cpuUsage();
  for (let i = 0; i < messages; i++) nextHeartbeatMessage(fleet[i % agents] as SimAgent);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / messages;
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
  /** Cork the sockets around each burst of publishes, so a burst takes a few writev calls instead of one per message; default true. */
  readonly coalesceWrites?: boolean;
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
  /** Body bytes of those publishes (sent × the mean heartbeat size). */
  readonly bytesSent: number;
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
  /** CPU seconds (user + system) this process used while the generator ran (first publish to last confirm). */
  readonly cpuSeconds: number;
  /** The generator's own cost: cpuSeconds / sent, in µs (process.cpuUsage, so anything else this process did in the window counts too). */
  readonly cpuMicrosPerMessage: number;
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

interface Corkable {
  cork(): void;
  uncork(): void;
}

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

    // Per fleet position, the highest seq the broker confirmed (-1: none yet).
    const lastSeq = new Float64Array(fleet.length).fill(-1);
    let sent = 0;
    let bytesSent = 0;
    let confirmed = 0;
    let failed = 0;
    let firstError: string | undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    let slotWaiter: (() => void) | undefined;
    let allSettled: (() => void) | undefined;

    const settle = () => {
      inFlight -= 1;
      if (slotWaiter !== undefined && inFlight < window) {
        const w = slotWaiter;
        slotWaiter = undefined;
        w();
      }
      if (allSettled !== undefined && inFlight === 0) allSettled();
    };

    // Socket writes: rabbitmq-client writes each publish to the socket as it
    // is sent, one syscall (and, on loopback, the receiver's TCP work too) per
    // message, which costs more CPU than the rest of publishing. The loop below
    // corks the sockets around its bursts, so a burst's frames go out in a few
    // writev calls. Each socket is uncorked before it holds HWM_SAFE bytes, so
    // a write never reports back-pressure (which would send rabbitmq-client's
    // frame writer back to one write per message, until the next 'drain').
    const coalesce = options.coalesceWrites ?? true;
    const HWM_SAFE = 12 * 1024;
    const corkedBytes = new Array<number>(publishers.length).fill(0);
    const socketOf = (c: Connection): Corkable | undefined => {
      const socket = (c as unknown as { readonly _socket?: Partial<Corkable> })._socket;
      return typeof socket?.cork === "function" && typeof socket.uncork === "function" ? (socket as Corkable) : undefined;
    };
    const cork = () => {
      if (!coalesce) return;
      for (const c of conns) socketOf(c)?.cork();
    };
    const uncork = () => {
      if (!coalesce) return;
      for (const c of conns) socketOf(c)?.uncork();
      corkedBytes.fill(0);
    };

    /** Publishes the next heartbeat of the agent at `position`; returns true when its socket should be uncorked. */
    const publishOne = (position: number): boolean => {
      const agent = fleet[position] as SimAgent;
      const lane = agent.index % publishers.length;
      const publisher = publishers[lane] as (typeof publishers)[number];
      const { body, seq, messageId } = nextHeartbeatMessage(agent);
      sent += 1;
      bytesSent += body.length;
      inFlight += 1;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      publisher.send({ routingKey: options.queue, durable: true, contentType: CONTENT_TYPE, messageId }, body).then(
        () => {
          confirmed += 1;
          if (seq > (lastSeq[position] as number)) lastSeq[position] = seq;
          settle();
        },
        (e: unknown) => {
          failed += 1;
          firstError ??= errorText(e);
          settle();
        }
      );
      // Frames: the body plus about 150 bytes of method and header frames.
      corkedBytes[lane] = (corkedBytes[lane] as number) + body.length + 150;
      return (corkedBytes[lane] as number) >= HWM_SAFE;
    };

    // Every agent's template is made before the clock starts: it is set-up, not per-message work.
    for (const agent of fleet) heartbeatTemplate(agent);
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
      if (sent < due && inFlight < window) {
        let burst = 0;
        cork();
        try {
          while (sent < due && inFlight < window && burst < BURST) {
            const full = publishOne(next);
            next = next + 1 === fleet.length ? 0 : next + 1;
            burst += 1;
            if (full) {
              uncork();
              cork();
            }
          }
        } finally {
          uncork();
        }
      }
      if (inFlight >= window) {
        const waitStart = performance.now();
        await new Promise<void>((resolve) => (slotWaiter = resolve));
        // Let the rest of the confirms that came in with this one settle, then refill in one burst.
        await new Promise<void>((resolve) => setImmediate(resolve));
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
    if (inFlight > 0) await new Promise<void>((resolve) => (allSettled = resolve));
    const elapsedSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return {
      runId,
      agentIds: fleet.map((a) => a.agentId),
      bootIdByAgent: new Map(fleet.map((a) => [a.agentId as string, a.bootId])),
      sent,
      bytesSent,
      confirmed,
      failed,
      firstError: firstError ?? connectionError,
      confirmedLastSeqByAgent: new Map(
        fleet.flatMap((a, position): Array<[string, number]> => ((lastSeq[position] as number) >= 0 ? [[a.agentId, lastSeq[position] as number]] : []))
      ),
      achievedRate: confirmed / elapsedSeconds,
      targetRate: rate,
      elapsedSeconds,
      publishSeconds,
      startedAtMs,
      endedAtMs: Date.now(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      cpuMicrosPerMessage: sent === 0 ? Number.NaN : (cpu.user + cpu.system) / sent,
      maxInFlight,
      windowFullSeconds: windowFullMs / 1000
    };
  } finally {
    for (const p of publishers) await p.close().catch(() => undefined);
    for (const c of conns) await c.close().catch(() => undefined);
  }
};
