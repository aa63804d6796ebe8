import { Result, Schema } from "effect";
import {
  AgentId,
  defaultPoolName,
  Envelope,
  isIsoUtc,
  makeEnvelope,
  ORCHESTRATOR_SENDER,
  poolNameOf
} from "../src/index.ts";
import { pythonHeartbeatJson } from "./fixtures.ts";
import { withField } from "./helpers.ts";
import * as samples from "./samples.ts";

describe("makeEnvelope", () => {
  it("wraps a payload in a version-1 envelope with the caller's id and time", () => {
    expect(
      makeEnvelope({
        type: "agent_shutdown",
        sender: samples.agentId,
        message_id: "9c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f",
        sent_at: "2025-03-01T23:00:00Z",
        correlation_id: "w-7",
        payload: samples.shutdown.payload
      })
    ).toStrictEqual({
      message_id: "9c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f",
      type: "agent_shutdown",
      version: 1,
      sent_at: "2025-03-01T23:00:00Z",
      sender: "gaming-pc",
      correlation_id: "w-7",
      payload: samples.shutdown.payload
    });
  });

  it("leaves correlation_id out entirely when none is given", () => {
    expect(Object.keys(samples.shutdown)).not.toContain("correlation_id");
  });

  it("lets the orchestrator sign as \"orchestrator\"", () => {
    expect(samples.workRequest.sender).toBe("orchestrator");
    expect(ORCHESTRATOR_SENDER).toBe("orchestrator");
  });
});

describe("pool names", () => {
  it("defaults the pool to <agent_type>_pool_1", () => {
    expect(defaultPoolName("desktop")).toBe("desktop_pool_1");
    expect(defaultPoolName("server")).toBe("server_pool_1");
  });

  it("prefers the pool the agent names", () => {
    expect(poolNameOf({ agent_type: "desktop", pool_name: "gpu_pool" })).toBe("gpu_pool");
    expect(poolNameOf({ agent_type: "desktop" })).toBe("desktop_pool_1");
  });
});

describe("AgentId", () => {
  const isAgentId = Schema.is(AgentId);

  it.each(["gaming-pc", "nas01.lan", "A", "x_y", "9lives"])("accepts %p", (id) => {
    expect(isAgentId(id)).toBe(true);
  });

  it.each(["", "-pc", ".hidden", "has space", "a/b", "é", "a".repeat(129)])("refuses %p", (id) => {
    expect(isAgentId(id)).toBe(false);
  });
});

describe("ISO-8601 UTC times", () => {
  it.each(["2025-03-01T12:00:00Z", "2025-03-01T12:00:00.123Z", "2025-03-01T12:00:00.123456Z", "2024-02-29T23:59:59Z"])(
    "accepts %p (JavaScript's and Python's precision, leap day)",
    (time) => {
      expect(isIsoUtc(time)).toBe(true);
    }
  );

  it.each([
    "2025-03-01T12:00:00+00:00",
    "2025-03-01T12:00:00",
    "2025-03-01",
    "2025-02-29T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-03-01T24:00:00Z",
    "2025-03-01 12:00:00Z"
  ])("refuses %p (offset, no zone, date only or impossible)", (time) => {
    expect(isIsoUtc(time)).toBe(false);
  });
});

describe("Envelope (payload left undecoded)", () => {
  it("reads the header of a message whose payload is invalid", () => {
    const wire = withField(pythonHeartbeatJson, ["payload", "resources", "memory_percent"], 140);
    const header = Schema.decodeUnknownResult(Envelope)(JSON.parse(wire));
    if (Result.isFailure(header)) throw new Error(header.failure.message);
    expect([header.success.type, header.success.sender, header.success.message_id]).toStrictEqual([
      "work_status",
      "gaming-pc",
      "3f2b8c1e-9a4d-4e7b-8c2f-1a2b3c4d5e6f"
    ]);
  });
});
