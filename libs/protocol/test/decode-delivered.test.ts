import { Result } from "effect";
import { decodeDelivered, decodeMessage, encodeMessageString } from "../src/index.ts";
import { heartbeat } from "./samples.ts";

describe("decodeDelivered (a body as an AMQP client hands it over)", () => {
  it("decodes bytes and text with the full decoder", () => {
    const text = encodeMessageString(heartbeat);
    expect(decodeDelivered(Buffer.from(text))).toEqual(decodeMessage(text));
    expect(decodeDelivered(text)).toEqual(decodeMessage(text));
  });

  it("validates a body the client already parsed, with the same result as its bytes", () => {
    const parsed: unknown = JSON.parse(encodeMessageString(heartbeat));
    const result = decodeDelivered(parsed);
    expect(Result.isSuccess(result) && result.success).toEqual(Result.getOrThrow(decodeMessage(encodeMessageString(heartbeat))));
  });

  it("rejects a parsed body whose JSON is over 1 MiB as oversized", () => {
    const parsed = { ...JSON.parse(encodeMessageString(heartbeat)), pad: "x".repeat(1024 * 1024) };
    const result = decodeDelivered(parsed);
    expect(Result.isFailure(result) && result.failure.reason).toBe("oversized");
  });

  it("rejects a bad parsed body with the field named", () => {
    const parsed = { ...JSON.parse(encodeMessageString(heartbeat)), version: 2 };
    const result = decodeDelivered(parsed);
    expect(Result.isFailure(result) && result.failure.reason).toBe("unsupported_version");
  });
});
