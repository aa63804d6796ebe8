import {
  CONTENT_TYPE,
  DEFAULT_DEAD_LETTER_QUEUE,
  DEFAULT_REPLY_QUEUE,
  MAX_MESSAGE_BYTES,
  PERSISTENT_DELIVERY_MODE,
  PROTOCOL_VERSION,
  replyQueueTopology,
  workQueueName,
  workQueueTopology
} from "../src/index.ts";

describe("queue topology, defined once for both sides", () => {
  it("names the default queues as SPEC §2 does", () => {
    expect(DEFAULT_REPLY_QUEUE).toBe("orchestrator.replies");
    expect(DEFAULT_DEAD_LETTER_QUEUE).toBe("orchestrator.replies.dead");
    expect(workQueueName("gaming-pc")).toBe("agent.gaming-pc.work");
  });

  it("declares the reply queue as a durable quorum queue dead-lettering to <name>.dead", () => {
    expect(replyQueueTopology()).toStrictEqual({
      queue: "orchestrator.replies",
      durable: true,
      arguments: {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "orchestrator.replies.dead",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-delivery-limit": 5
      },
      deadLetterQueue: {
        queue: "orchestrator.replies.dead",
        durable: true,
        arguments: { "x-queue-type": "quorum" }
      }
    });
  });

  it("derives the dead-letter queue from a configured reply queue name", () => {
    const topology = replyQueueTopology("test-42.replies");
    expect(topology.queue).toBe("test-42.replies");
    expect(topology.arguments["x-dead-letter-routing-key"]).toBe("test-42.replies.dead");
    expect(topology.deadLetterQueue.queue).toBe("test-42.replies.dead");
  });

  it("declares an agent's work queue as a durable quorum queue", () => {
    expect(workQueueTopology("nas01.lan")).toStrictEqual({
      queue: "agent.nas01.lan.work",
      durable: true,
      arguments: { "x-queue-type": "quorum" }
    });
  });

  it("gives each call its own objects, so one side cannot alter the other's declaration", () => {
    expect(replyQueueTopology()).not.toBe(replyQueueTopology());
    expect(replyQueueTopology().arguments).toStrictEqual(replyQueueTopology().arguments);
  });
});

describe("protocol constants", () => {
  it("fixes version 1, a 1 MiB limit, JSON content type and persistent delivery", () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(MAX_MESSAGE_BYTES).toBe(1_048_576);
    expect(CONTENT_TYPE).toBe("application/json");
    expect(PERSISTENT_DELIVERY_MODE).toBe(2);
  });
});
