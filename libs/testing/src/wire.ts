import { randomUUID } from "node:crypto";
import { Effect, type Scope } from "effect";
import { Connection } from "rabbitmq-client";
import {
  AgentId,
  CONTENT_TYPE,
  encodeMessage,
  makeEnvelope,
  replyQueueTopology,
  type Message,
  type MessageOf,
  type ResourceMetrics
} from "@homelab/protocol";
import { serviceUrls } from "./urls.ts";

/** Plausible figures of a machine with one 24 GB card; every field overridable. */
export const resources = (overrides: Partial<ResourceMetrics> = {}): ResourceMetrics => ({
  cpu_load_1min: 1.5,
  cpu_load_5min: 1.25,
  cpu_load_15min: 1,
  cpu_cores_total: 16,
  cpu_cores_available: 14.5,
  memory_total_gb: 64,
  memory_available_gb: 40.25,
  memory_percent: 37.1,
  gpu_type: "nvidia",
  gpu_count: 1,
  gpu_vram_total_gb: 24,
  gpu_vram_available_gb: 20.5,
  gpus: [
    {
      index: 0,
      uuid: "GPU-6f1a0c1e-0d6e-4c1f-9d55-6a2c1e5b7a10",
      name: "NVIDIA GeForce RTX 4090",
      vram_total_gb: 24,
      vram_used_gb: 3.5,
      vram_available_gb: 20.5,
      utilization_percent: 7,
      temperature_c: 41
    }
  ],
  collected_at: new Date().toISOString(),
  collection_errors: [],
  ...overrides
});

export interface HeartbeatInput {
  readonly agentId: string;
  readonly bootId: string;
  readonly seq: number;
  readonly agentType?: string;
  readonly poolName?: string;
  readonly capabilities?: ReadonlyArray<string>;
  readonly resources?: ResourceMetrics;
  /** The sender's clock; informational only (SPEC §2). */
  readonly sentAt?: string;
}

/** A `work_status` message as an agent builds it. */
export const heartbeat = (h: HeartbeatInput): MessageOf<"work_status"> =>
  makeEnvelope({
    type: "work_status",
    message_id: randomUUID(),
    sent_at: h.sentAt ?? new Date().toISOString(),
    sender: AgentId.make(h.agentId),
    payload: {
      agent_id: AgentId.make(h.agentId),
      agent_type: h.agentType ?? "desktop",
      ...(h.poolName === undefined ? {} : { pool_name: h.poolName }),
      status: "online",
      boot_id: h.bootId,
      seq: h.seq,
      capabilities: h.capabilities ?? [],
      resources: h.resources ?? resources(),
      current_work: []
    }
  });

/** An `agent_shutdown` message, as an agent sends it on SIGTERM. */
export const shutdown = (agentId: string, bootId: string): MessageOf<"agent_shutdown"> =>
  makeEnvelope({
    type: "agent_shutdown",
    message_id: randomUUID(),
    sent_at: new Date().toISOString(),
    sender: AgentId.make(agentId),
    payload: { agent_id: AgentId.make(agentId), boot_id: bootId, reason: "signal: agent stopping" }
  });

/** A valid `work_result` message for work `w-1`, which no orchestrator handed out (`unknown_work`). */
export const workResult = (agentId: string): MessageOf<"work_result"> =>
  makeEnvelope({
    type: "work_result",
    message_id: randomUUID(),
    sent_at: new Date().toISOString(),
    sender: AgentId.make(agentId),
    correlation_id: "w-1",
    payload: {
      work_id: "w-1",
      agent_id: AgentId.make(agentId),
      status: "succeeded",
      exit_code: 0,
      output: "done\n",
      error: null,
      started_at: "2026-11-29T12:00:00Z",
      finished_at: "2026-11-29T12:00:01Z"
    }
  });

/**
 * A `work_request` as the orchestrator sends it to an agent's work queue. With
 * no arguments, work `w-2` of kind echo: on the reply queue that is `unsupported`.
 */
export const workRequest = (
  work_id = "w-2",
  kind = "echo",
  params: Readonly<Record<string, string>> = {},
  timeout_seconds = 30
): MessageOf<"work_request"> =>
  makeEnvelope({
    type: "work_request",
    message_id: randomUUID(),
    sent_at: new Date().toISOString(),
    sender: AgentId.make("orchestrator"),
    correlation_id: work_id,
    payload: { work_id, kind, params: { ...params }, requirements: {}, timeout_seconds }
  });

export interface ReplyPublisher {
  /** Publishes a protocol message as agents do: canonical JSON, application/json, persistent, confirmed. */
  readonly send: (message: Message) => Promise<void>;
  /** Publishes arbitrary bytes with the given content type (for poison messages). */
  readonly sendRaw: (contentType: string, body: Buffer) => Promise<void>;
  readonly connection: Connection;
}

/**
 * A publisher to the reply queue that declares it (and its dead-letter queue)
 * with the protocol's arguments first, as an agent does, so nothing it sends
 * is unroutable whether or not the orchestrator has declared the queue yet.
 */
export const replyPublisher = (replyQueue: string, amqpUrl: string = serviceUrls().amqpUrl): Effect.Effect<ReplyPublisher, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const connection = new Connection({ url: amqpUrl, noDelay: true });
      await connection.onConnect(5000);
      const topology = replyQueueTopology(replyQueue);
      await connection.queueDeclare({ ...topology.deadLetterQueue, arguments: { ...topology.deadLetterQueue.arguments } });
      await connection.queueDeclare({ queue: topology.queue, durable: true, arguments: { ...topology.arguments } });
      const publisher = connection.createPublisher({ confirm: true, maxAttempts: 2 });
      const sendRaw = (contentType: string, body: Buffer) =>
        publisher.send({ routingKey: replyQueue, contentType, durable: true }, body);
      const send = (message: Message) => sendRaw(CONTENT_TYPE, Buffer.from(encodeMessage(message)));
      return { connection, publisher, send, sendRaw };
    }),
    ({ connection, publisher }) =>
      Effect.promise(async () => {
        await publisher.close();
        await connection.close();
      })
  ).pipe(Effect.map(({ connection, send, sendRaw }) => ({ connection, send, sendRaw })));
