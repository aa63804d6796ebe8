/**
 * Settles the deliveries of one AMQP channel with as few frames as it can.
 *
 * Deliveries are settled out of order (a dead-lettered message finishes
 * before the batch of heartbeats around it commits), but an ack with
 * `multiple` covers every outstanding tag up to its own. So a tag is acked
 * only as part of the settled prefix: once every delivery up to and
 * including it is settled, one `basic.ack multiple` covers them all, sent at
 * most once per turn of the event loop (a committed batch of 500 is one
 * frame, not 500). A requeue or a drop is a `basic.nack` of its own, sent at
 * once; a later multiple ack does not touch it (it is no longer outstanding).
 */
export type Settlement = "ack" | "requeue" | "drop";

export interface AckChannel {
  readonly basicAck: (params: { deliveryTag: number; multiple: boolean }) => void;
  readonly basicNack: (params: { deliveryTag: number; multiple: boolean; requeue: boolean }) => void;
}

export interface AckTracker {
  /** A delivery arrived (tags arrive in increasing order on one channel). */
  readonly received: (tag: number) => void;
  readonly settle: (tag: number, how: Settlement) => void;
  /** Deliveries received and not yet settled. */
  readonly unsettled: () => number;
  /** Sends the pending multiple ack now (before the channel closes). */
  readonly flush: () => void;
}

export const makeAckTracker = (
  channel: AckChannel,
  options: {
    /** When to send a coalesced ack; `setImmediate` in production, synchronous in tests. */
    readonly schedule?: (send: () => void) => void;
    /** An ack or nack frame that could not be written (the channel closed): the broker redelivers. */
    readonly onSendError?: (error: unknown) => void;
  } = {}
): AckTracker => {
  const schedule = options.schedule ?? ((send) => void setImmediate(send));
  const onSendError = options.onSendError ?? (() => undefined);
  const order: Array<number> = [];
  let head = 0;
  const settled = new Map<number, Settlement>();
  /** Highest acked tag in the settled prefix, and the highest one already sent. */
  let ackUpTo = 0;
  let sentUpTo = 0;
  let scheduled = false;

  const send = (frame: () => void) => {
    try {
      frame();
    } catch (error) {
      onSendError(error);
    }
  };

  const flush = () => {
    scheduled = false;
    if (ackUpTo > sentUpTo) {
      const deliveryTag = ackUpTo;
      sentUpTo = ackUpTo;
      send(() => channel.basicAck({ deliveryTag, multiple: true }));
    }
  };

  const advance = () => {
    while (head < order.length) {
      const tag = order[head]!;
      const how = settled.get(tag);
      if (how === undefined) break;
      settled.delete(tag);
      if (how === "ack") ackUpTo = tag;
      head++;
    }
    // Keep the array short: drop the consumed prefix now and then.
    if (head > 4096 && head * 2 > order.length) {
      order.splice(0, head);
      head = 0;
    }
  };

  return {
    received: (tag) => void order.push(tag),
    settle: (tag, how) => {
      if (how !== "ack") send(() => channel.basicNack({ deliveryTag: tag, multiple: false, requeue: how === "requeue" }));
      settled.set(tag, how);
      const before = ackUpTo;
      advance();
      if (ackUpTo > before && !scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    unsettled: () => order.length - head,
    flush
  };
};
