// The queues of SPEC §2, defined once. Each side declares what it uses with
// exactly these arguments: RabbitMQ refuses a redeclaration whose arguments
// differ, so agreeing here is what lets either side start first.

/** Default name of the queue every agent publishes to (env `REPLY_QUEUE`). */
export const DEFAULT_REPLY_QUEUE = "orchestrator.replies";

/** The dead-letter queue that belongs to a reply queue: `<reply queue>.dead`. */
export const deadLetterQueueName = (replyQueueName: string): string => `${replyQueueName}.dead`;

/** Default name of the dead-letter queue (`orchestrator.replies.dead`). */
export const DEFAULT_DEAD_LETTER_QUEUE = deadLetterQueueName(DEFAULT_REPLY_QUEUE);

/** The work queue of one agent: `agent.<agent_id>.work`. */
export const workQueueName = (agentId: string): string => `agent.${agentId}.work`;

/** An agent's control queue: orders that must not wait behind queued work requests (work_cancel). */
export const controlQueueName = (agentId: string): string => `agent.${agentId}.control`;

/** Queue arguments (`x-*`) as sent in `queue.declare`. */
export type QueueArguments = Readonly<Record<string, string | number>>;

/** One queue declaration: name, durability and arguments. */
export interface QueueDeclaration {
  readonly queue: string;
  readonly durable: true;
  readonly arguments: QueueArguments;
}

/** The reply queue with its dead-letter queue; declare the dead one first. */
export interface ReplyQueueTopology extends QueueDeclaration {
  readonly deadLetterQueue: QueueDeclaration;
}

/**
 * How many times a reply-queue message may be returned to the queue before
 * the broker itself dead-letters it (quorum queues count redeliveries; with 5
 * it is delivered at most 6 times), so that a message that keeps failing its
 * consumer is never requeued forever (SPEC §2).
 */
export const REPLY_DELIVERY_LIMIT = 5;

const quorum = { "x-queue-type": "quorum" } as const;

/**
 * The reply queue (default `orchestrator.replies`): a durable quorum queue
 * whose rejected messages go through the default exchange ("") to
 * `<name>.dead`. Dead-lettering is at-least-once (which RabbitMQ allows only
 * with `x-overflow: reject-publish`), so a refused message is never lost
 * between the two queues.
 */
export const replyQueueTopology = (replyQueueName: string = DEFAULT_REPLY_QUEUE): ReplyQueueTopology => {
  const deadLetterQueue = deadLetterQueueName(replyQueueName);
  return {
    queue: replyQueueName,
    durable: true,
    arguments: {
      ...quorum,
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": deadLetterQueue,
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
      "x-delivery-limit": REPLY_DELIVERY_LIMIT
    },
    deadLetterQueue: { queue: deadLetterQueue, durable: true, arguments: { ...quorum } }
  };
};

/** An agent's work queue (`agent.<agent_id>.work`): durable quorum, declared by the agent. */
export const workQueueTopology = (agentId: string): QueueDeclaration => ({
  queue: workQueueName(agentId),
  durable: true,
  arguments: { ...quorum }
});

/** An agent's control queue (`agent.<agent_id>.control`): durable quorum, declared by the agent, read apart from its work. */
export const controlQueueTopology = (agentId: string): QueueDeclaration => ({
  queue: controlQueueName(agentId),
  durable: true,
  arguments: { ...quorum }
});
