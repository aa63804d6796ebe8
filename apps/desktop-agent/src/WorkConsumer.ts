import { Clock, Effect } from "effect";
import {
  decodeDelivered,
  makeEnvelope,
  workQueueTopology,
  type AgentId,
  type Message
} from "@homelab/protocol";
import type { BrokerConnection, Disposition } from "./Broker.ts";
import { publishMessage, stamp } from "./Outbox.ts";

/**
 * Consumes `agent.<id>.work` with prefetch = max_concurrent_work. Running
 * work arrives with the work-routing issue; until then every request is
 * answered `rejected`, saying so. The result is published before the request
 * is acked; if it cannot be published the request goes back to the queue.
 */
export const consumeWork = (options: {
  readonly conn: BrokerConnection;
  readonly agentId: AgentId;
  readonly replyQueue: string;
  readonly prefetch: number;
  readonly publishDeadlineMs: number;
}) =>
  options.conn.consume({ queue: workQueueTopology(options.agentId), prefetch: options.prefetch }, (body) =>
    Effect.gen(function* (): Effect.fn.Return<Disposition> {
      const decoded = decodeDelivered(body);
      if (decoded._tag === "Failure") {
        yield* Effect.logWarning(`work queue: dropped a malformed message (${decoded.failure.reason}): ${decoded.failure.message}`);
        return "drop";
      }
      const request = decoded.success;
      if (request.type !== "work_request") {
        yield* Effect.logWarning(`work queue: dropped a ${request.type} message; only work_request belongs here`);
        return "drop";
      }
      const now = new Date(yield* Clock.currentTimeMillis).toISOString();
      const work_id = request.payload.work_id;
      const result: Message = makeEnvelope({
        ...(yield* stamp),
        type: "work_result",
        sender: options.agentId,
        correlation_id: work_id,
        payload: {
          work_id,
          agent_id: options.agentId,
          status: "rejected",
          exit_code: null,
          output: "",
          error: `kind "${request.payload.kind}" not run: this agent version does not execute work yet`,
          started_at: now,
          finished_at: now
        }
      });
      return yield* publishMessage(options.conn, options.replyQueue, result, options.publishDeadlineMs).pipe(
        Effect.as<Disposition>("ack"),
        Effect.catch((e) =>
          Effect.logWarning(`work ${work_id}: result not published (${e.message}); request requeued`).pipe(
            Effect.as<Disposition>("requeue")
          )
        )
      );
    })
  );
