// Coalesced acks: what goes on the wire for each order in which deliveries settle.
import { makeAckTracker } from "../src/AckTracker.ts";

type Frame = { ack: number } | { nack: number; requeue: boolean };

const recording = () => {
  const frames: Array<Frame> = [];
  const pending: Array<() => void> = [];
  const tracker = makeAckTracker(
    {
      basicAck: ({ deliveryTag, multiple }) => {
        expect(multiple).toBe(true);
        frames.push({ ack: deliveryTag });
      },
      basicNack: ({ deliveryTag, multiple, requeue }) => {
        expect(multiple).toBe(false);
        frames.push({ nack: deliveryTag, requeue });
      }
    },
    { schedule: (send) => void pending.push(send) }
  );
  const tick = () => pending.splice(0).forEach((send) => send());
  return { frames, tracker, tick };
};

describe("AckTracker", () => {
  it("acks a whole batch settled in one turn with a single multiple ack", () => {
    const { frames, tracker, tick } = recording();
    for (let tag = 1; tag <= 500; tag++) tracker.received(tag);
    for (let tag = 1; tag <= 500; tag++) tracker.settle(tag, "ack");
    tick();
    expect(frames).toEqual([{ ack: 500 }]);
    expect(tracker.unsettled()).toBe(0);
  });

  it("never acks past a delivery that is still being handled", () => {
    const { frames, tracker, tick } = recording();
    for (let tag = 1; tag <= 5; tag++) tracker.received(tag);
    tracker.settle(1, "ack");
    tracker.settle(3, "ack");
    tracker.settle(4, "ack");
    tick();
    expect(frames).toEqual([{ ack: 1 }]);
    expect(tracker.unsettled()).toBe(4);
    tracker.settle(2, "ack");
    tick();
    expect(frames).toEqual([{ ack: 1 }, { ack: 4 }]);
    tracker.settle(5, "ack");
    tick();
    expect(frames).toEqual([{ ack: 1 }, { ack: 4 }, { ack: 5 }]);
  });

  it("nacks a requeue or a drop at once, alone, and acks the rest around it", () => {
    const { frames, tracker, tick } = recording();
    for (let tag = 1; tag <= 4; tag++) tracker.received(tag);
    tracker.settle(2, "requeue");
    tracker.settle(3, "drop");
    expect(frames).toEqual([
      { nack: 2, requeue: true },
      { nack: 3, requeue: false }
    ]);
    tracker.settle(1, "ack");
    tick();
    // 1 is the last ack in the settled prefix 1..3 (2 and 3 are no longer outstanding).
    expect(frames.slice(2)).toEqual([{ ack: 1 }]);
    tracker.settle(4, "ack");
    tick();
    expect(frames.slice(3)).toEqual([{ ack: 4 }]);
  });

  it("sends no ack when the settled prefix holds only nacks", () => {
    const { frames, tracker, tick } = recording();
    tracker.received(7);
    tracker.received(8);
    tracker.settle(7, "requeue");
    tick();
    expect(frames).toEqual([{ nack: 7, requeue: true }]);
    expect(tracker.unsettled()).toBe(1);
  });

  it("flush sends the pending ack at once and nothing twice", () => {
    const { frames, tracker, tick } = recording();
    tracker.received(1);
    tracker.settle(1, "ack");
    tracker.flush();
    tick();
    expect(frames).toEqual([{ ack: 1 }]);
  });

  it("keeps the right prefix over many deliveries settled in random order", () => {
    const { frames, tracker, tick } = recording();
    const n = 20_000;
    for (let tag = 1; tag <= n; tag++) tracker.received(tag);
    const tags = Array.from({ length: n }, (_, i) => i + 1);
    let seed = 42;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [tags[i], tags[j]] = [tags[j]!, tags[i]!];
    }
    for (const tag of tags) tracker.settle(tag, "ack");
    tick();
    expect(frames).toEqual([{ ack: n }]);
    expect(tracker.unsettled()).toBe(0);
  });

  it("reports a frame that cannot be written instead of throwing into the caller", () => {
    const errors: Array<unknown> = [];
    const tracker = makeAckTracker(
      {
        basicAck: () => {
          throw new Error("channel closed");
        },
        basicNack: () => {
          throw new Error("channel closed");
        }
      },
      { schedule: (send) => send(), onSendError: (e) => void errors.push(e) }
    );
    tracker.received(1);
    tracker.received(2);
    expect(() => tracker.settle(1, "ack")).not.toThrow();
    expect(() => tracker.settle(2, "requeue")).not.toThrow();
    expect(errors).toHaveLength(2);
  });
});
