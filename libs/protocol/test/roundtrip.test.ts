import { Result } from "effect";
import { decodeMessageValue, encodeMessage, encodeMessageString, type Message } from "../src/index.ts";
import { validWireMessages } from "./fixtures.ts";
import { decodeOk } from "./helpers.ts";
import * as samples from "./samples.ts";

const messages: ReadonlyArray<readonly [string, Message]> = [
  ["a work_status", samples.heartbeat],
  ["a work_request", samples.workRequest],
  ["a work_result", samples.workResult],
  ["an agent_shutdown", samples.shutdown]
];

describe("encode then decode gives back the same message", () => {
  it.each(messages)("round-trips %s message through bytes", (_type, message) => {
    expect(decodeOk(encodeMessage(message))).toStrictEqual(message);
  });

  it.each(messages)("round-trips %s message through a string", (_type, message) => {
    expect(decodeOk(encodeMessageString(message))).toStrictEqual(message);
  });

  it.each(messages)("accepts locally built %s message as valid before it is sent", (_type, message) => {
    expect(Result.isSuccess(decodeMessageValue(message))).toBe(true);
  });

  it("re-encodes every hand-written Python message to JSON that decodes to the same value", () => {
    for (const wire of validWireMessages) {
      const first = decodeOk(wire);
      expect(decodeOk(encodeMessageString(first))).toStrictEqual(first);
    }
  });
});

describe("canonical wire JSON", () => {
  it("writes envelope keys in SPEC order, compactly, omitting an absent correlation_id", () => {
    expect(encodeMessageString(samples.shutdown)).toBe(
      '{"message_id":"9c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f","type":"agent_shutdown","version":1,' +
        '"sent_at":"2025-03-01T23:00:00Z","sender":"gaming-pc",' +
        '"payload":{"agent_id":"gaming-pc","boot_id":"9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b","reason":"SIGTERM"}}'
    );
  });

  it("writes the same bytes whatever order the caller's object had its keys in", () => {
    const shuffled: Message = {
      payload: { reason: "SIGTERM", boot_id: samples.shutdown.payload.boot_id, agent_id: samples.agentId },
      sender: samples.agentId,
      sent_at: samples.shutdown.sent_at,
      version: 1,
      type: "agent_shutdown",
      message_id: samples.shutdown.message_id
    };
    expect(encodeMessageString(shuffled)).toBe(encodeMessageString(samples.shutdown));
  });

  it("does not send properties the schema does not know", () => {
    const withExtra = { ...samples.shutdown, debug: "local only" };
    expect(encodeMessageString(withExtra)).not.toContain("debug");
  });

  it("keeps optional fields that are set and the nulls that are values", () => {
    const wire = encodeMessageString(samples.workResult);
    expect(wire).toContain('"correlation_id":"w-1001"');
    expect(wire).toContain('"exit_code":null');
  });

  it("encodes to UTF-8 bytes", () => {
    const bytes = encodeMessage(samples.workRequest);
    expect(new TextDecoder().decode(bytes)).toBe(encodeMessageString(samples.workRequest));
    expect(bytes.byteLength).toBeGreaterThan(encodeMessageString(samples.workRequest).length); // "ü" and "✓" are multi-byte
  });
});
