import { randomUUID } from "node:crypto";
import { Connection } from "rabbitmq-client";
import { encodeMessageString, MAX_MESSAGE_BYTES } from "@homelab/protocol";
import { heartbeat, metricByLabel, parseMetrics, serviceUrls, workRequest, workResult } from "@homelab/testing";
import { eventually } from "./childProcess.ts";
import { getAgent, type RunningOrchestrator } from "./orchestratorProcess.ts";

/** homelab_messages_rejected_total by reason, from GET /metrics. */
export const rejectedCounts = async (orchestrator: RunningOrchestrator): Promise<Record<string, number>> => {
  return { ...metricByLabel(parseMetrics(await orchestrator.getText("/metrics")), "homelab_messages_rejected_total", "reason") };
};

/**
 * Sends a message that should be refused, then waits until the orchestrator
 * has decided either way: the agent it names got registered, or a rejection
 * for `reason` was counted.
 */
export const appliedOrRejected = async (orchestrator: RunningOrchestrator, agentId: string, reason: string, send: () => Promise<void>) => {
  const before = (await rejectedCounts(orchestrator))[reason] ?? 0;
  await send();
  return eventually(
    `message for ${agentId} applied or rejected as ${reason}`,
    async () => ({
      registered: (await getAgent(orchestrator, agentId)) !== undefined,
      rejected: ((await rejectedCounts(orchestrator))[reason] ?? 0) - before
    }),
    (o) => o.registered || o.rejected > 0,
    5000
  );
};

export interface DeadLetter {
  readonly reason: unknown;
  readonly detail: unknown;
  readonly originalContentType: unknown;
  readonly body: Buffer;
}

/** Takes `expected` messages off the dead-letter queue (a receipt with a deadline), then checks that no more are there. */
export const drainDeadLetters = async (queue: string, expected: number, amqpUrl: string = serviceUrls().amqpUrl): Promise<ReadonlyArray<DeadLetter>> => {
  const connection = new Connection({ url: amqpUrl, noDelay: true });
  try {
    await connection.onConnect(5000);
    const letters: Array<DeadLetter> = [];
    const take = async () => {
      const msg = await connection.basicGet({ queue, noAck: true });
      if (msg === undefined) return false;
      const body: unknown = msg.body;
      letters.push({
        reason: msg.headers?.["x-reject-reason"],
        detail: msg.headers?.["x-reject-detail"],
        originalContentType: msg.headers?.["x-original-content-type"],
        body: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body))
      });
      return true;
    };
    await eventually(
      `${expected} dead letters on ${queue}`,
      async () => {
        while (letters.length < expected && (await take())) {
          // Take what is there now; wait only when the queue is empty.
        }
        return letters.length;
      },
      (n) => n >= expected,
      10_000,
      20
    );
    while (await take()) {
      // More than expected: collected so the assertion shows them.
    }
    return letters;
  } finally {
    await connection.close();
  }
};

export interface RawMessage {
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * One message of each kind the orchestrator must refuse (SPEC §6), with the
 * dead-letter reason it must give. `oversized` is over 1 MiB: leave it out
 * (`withOversized: false`) where a test sends many.
 */
export const badMessages = (options: { readonly withOversized?: boolean } = {}): ReadonlyArray<readonly [string, RawMessage]> => {
  const json = (value: unknown): RawMessage => ({ contentType: "application/json", body: Buffer.from(JSON.stringify(value)) });
  const base = heartbeat({ agentId: "poison-base", bootId: randomUUID(), seq: 1 });
  return [
    ["malformed_json", { contentType: "application/json", body: Buffer.from('{"type": "work_status", "version": 1,') }],
    ...(options.withOversized === false ? [] : [["oversized", json({ ...base, padding: "x".repeat(MAX_MESSAGE_BYTES) })] as const]),
    ["not_utf8", { contentType: "application/octet-stream", body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }],
    ["unsupported_version", json({ ...base, version: 2 })],
    ["unknown_type", json({ ...base, type: "agent_reboot" })],
    ["invalid_agent_id", json({ ...base, sender: "bad id!", payload: { ...base.payload, agent_id: "bad id!" } })],
    ["schema_violation", json({ ...base, payload: { ...base.payload, seq: -1 } })],
    ["unknown_work", { contentType: "application/json", body: Buffer.from(encodeMessageString(workResult("poison-worker"))) }],
    ["unsupported", { contentType: "application/json", body: Buffer.from(encodeMessageString(workRequest())) }]
  ];
};
