import { Effect, Scope } from "effect";
import { Connection, ConsumerStatus } from "rabbitmq-client";
import { decodeDelivered, replyQueueTopology, type Message } from "@homelab/protocol";
import { serviceUrls } from "./urls.ts";

/**
 * Reads a reply queue on the real broker the way the orchestrator will:
 * declares it (and its dead-letter queue) with the protocol's arguments,
 * consumes, decodes every message. Tests wait on `next(predicate)` — a
 * receipt with a deadline, never a sleep. Queues are deleted with the scope.
 */
export interface ReplyQueueReader {
  readonly queue: string;
  readonly messages: () => ReadonlyArray<Message>;
  /** Messages that failed to decode, with the reason. */
  readonly rejected: () => ReadonlyArray<string>;
  /** The first message (already received or still to come) that matches. */
  readonly next: <M extends Message>(predicate: (m: Message) => m is M, timeoutMs?: number) => Promise<M>;
  /** A raw connection for tests that publish or inspect queues themselves. */
  readonly connection: Connection;
}

export const readReplyQueue = (queue: string): Effect.Effect<ReplyQueueReader, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const conn = new Connection({ url: serviceUrls().amqpUrl, noDelay: true });
      await conn.onConnect(5000);
      const topology = replyQueueTopology(queue);
      await conn.queueDeclare({ queue: topology.deadLetterQueue.queue, durable: true, arguments: { ...topology.deadLetterQueue.arguments } });
      await conn.queueDeclare({ queue, durable: true, arguments: { ...topology.arguments } });
      const messages: Array<Message> = [];
      const rejected: Array<string> = [];
      const waiters = new Set<() => void>();
      const consumer = conn.createConsumer({ queue, queueOptions: { durable: true, arguments: { ...topology.arguments } } }, (msg) => {
        const decoded = decodeDelivered(msg.body);
        if (decoded._tag === "Success") messages.push(decoded.success);
        else rejected.push(decoded.failure.message);
        for (const wake of waiters) wake();
        return ConsumerStatus.ACK;
      });
      const next = <M extends Message>(predicate: (m: Message) => m is M, timeoutMs = 10_000) =>
        new Promise<M>((resolve, reject) => {
          const check = () => {
            const found = messages.find(predicate);
            if (found !== undefined) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(found);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`no matching message on ${queue} within ${timeoutMs} ms (${messages.length} received)`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      return { conn, consumer, reader: { queue, messages: () => [...messages], rejected: () => [...rejected], next, connection: conn } };
    }),
    ({ conn, consumer }) =>
      Effect.promise(async () => {
        await consumer.close();
        const topology = replyQueueTopology(queue);
        await conn.queueDelete({ queue });
        await conn.queueDelete({ queue: topology.deadLetterQueue.queue });
        await conn.close();
      })
  ).pipe(Effect.map(({ reader }) => reader));
