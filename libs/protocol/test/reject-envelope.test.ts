import { MAX_MESSAGE_BYTES } from "../src/index.ts";
import { pythonHeartbeatJson, pythonShutdownJson, pythonWorkRequestJson, pythonWorkResultJson } from "./fixtures.ts";
import { decodeErr, decodeOk, withField, withoutField } from "./helpers.ts";

// The checks before the payload schema, one reason each (SPEC §6). Each case
// damages a valid hand-written message the way a buggy or foreign sender
// would, and checks the reason the orchestrator will count, the path, and
// that the sentence names the field and the problem.

const heartbeatWith = (path: ReadonlyArray<string | number>, value: unknown): string =>
  withField(pythonHeartbeatJson, path, value);

/** A valid work result whose output pads the body to exactly `bytes` bytes. */
const workResultOfSize = (bytes: number): string => {
  const empty = withField(pythonWorkResultJson, ["payload", "output"], "");
  return withField(pythonWorkResultJson, ["payload", "output"], "x".repeat(bytes - empty.length));
};

describe("oversized: bodies over 1 MiB are refused before parsing", () => {
  it("refuses a 1 MiB + 1 byte body and says how large it was", () => {
    const error = decodeErr(new TextEncoder().encode(workResultOfSize(MAX_MESSAGE_BYTES + 1)));
    expect(error.reason).toBe("oversized");
    expect(error.path).toBe("");
    expect(error.message).toBe("message is 1048577 bytes, over the limit of 1048576 bytes (1 MiB)");
  });

  it("accepts a body of exactly 1 MiB", () => {
    const body = workResultOfSize(MAX_MESSAGE_BYTES);
    expect(new TextEncoder().encode(body).byteLength).toBe(MAX_MESSAGE_BYTES);
    expect(decodeOk(body).type).toBe("work_result");
  });

  it("measures a string in UTF-8 bytes, not characters", () => {
    // 400k characters, 1.2 MB as UTF-8
    const error = decodeErr(withField(pythonWorkResultJson, ["payload", "output"], "€".repeat(400_000)));
    expect(error.reason).toBe("oversized");
    expect(error.message).toContain("bytes, over the limit of 1048576 bytes");
  });

  it("refuses an oversized body even when it is not JSON at all", () => {
    expect(decodeErr(new Uint8Array(MAX_MESSAGE_BYTES + 10).fill(0xff)).reason).toBe("oversized");
  });
});

describe("not_utf8: the body must be valid UTF-8", () => {
  it("refuses a Latin-1 byte inside a string value", () => {
    const bytes = new TextEncoder().encode(pythonShutdownJson.replace("SIGTERM", "SIGTERM?"));
    bytes[bytes.indexOf(0x3f)] = 0xe9; // "é" in Latin-1, invalid alone in UTF-8
    const error = decodeErr(bytes);
    expect(error.reason).toBe("not_utf8");
    expect(error.path).toBe("");
    expect(error.message).toBe("message body is not valid UTF-8");
  });

  it("refuses a string holding an unpaired surrogate", () => {
    const error = decodeErr(pythonShutdownJson.replace("SIGTERM", "SIG\uD800TERM"));
    expect(error.reason).toBe("not_utf8");
    expect(error.message).toContain("unpaired UTF-16 surrogate");
  });
});

describe("malformed_json: the body must be one JSON value", () => {
  it("refuses a body cut off mid-message and quotes the parser", () => {
    const error = decodeErr(pythonHeartbeatJson.slice(0, 200));
    expect(error.reason).toBe("malformed_json");
    expect(error.path).toBe("");
    expect(error.message).toMatch(/^malformed JSON: /);
  });

  it("refuses Python's repr of a dict (single quotes, None)", () => {
    const error = decodeErr("{'type': 'work_status', 'payload': None}");
    expect(error.reason).toBe("malformed_json");
  });

  it("refuses an empty body", () => {
    expect(decodeErr(new Uint8Array(0)).reason).toBe("malformed_json");
  });
});

describe("unsupported_version: only version 1 is spoken", () => {
  it("refuses version 2 and names both versions", () => {
    const error = decodeErr(heartbeatWith(["version"], 2));
    expect(error).toMatchObject({ reason: "unsupported_version", path: "version" });
    expect(error.message).toBe("version: unsupported protocol version 2; this build speaks version 1");
  });

  it("judges the version before the type, since a newer version may add types", () => {
    const message = withField(heartbeatWith(["version"], 2), ["type"], "work_progress");
    expect(decodeErr(message).reason).toBe("unsupported_version");
  });

  it("refuses the version written as a string", () => {
    const error = decodeErr(heartbeatWith(["version"], "1"));
    expect(error).toMatchObject({ reason: "unsupported_version", path: "version" });
    expect(error.message).toContain('"1"');
  });
});

describe("unknown_type: the type selects the payload schema", () => {
  it("refuses a type this build does not know and lists the known ones", () => {
    const error = decodeErr(heartbeatWith(["type"], "work_progress"));
    expect(error).toMatchObject({ reason: "unknown_type", path: "type" });
    expect(error.message).toBe(
      'type: unknown message type "work_progress"; expected one of work_status, work_result, work_request, agent_shutdown, work_cancel'
    );
  });

  it("counts a missing type as a schema violation of the envelope", () => {
    const error = decodeErr(withoutField(pythonHeartbeatJson, ["type"]));
    expect(error).toMatchObject({ reason: "schema_violation", path: "type", message: "type: missing required field" });
  });
});

describe("invalid_agent_id: sender-side agent ids must match the agent_id pattern", () => {
  it("refuses a heartbeat whose payload.agent_id has a space and a bang", () => {
    const error = decodeErr(heartbeatWith(["payload", "agent_id"], "gaming pc!"));
    expect(error).toMatchObject({ reason: "invalid_agent_id", path: "payload.agent_id" });
    expect(error.message).toMatch(/^payload\.agent_id: expected an agent_id .*, got "gaming pc!"$/);
  });

  it("refuses a work result whose agent_id starts with a dash", () => {
    const message = withField(pythonWorkResultJson, ["payload", "agent_id"], "-gaming-pc");
    expect(decodeErr(message)).toMatchObject({ reason: "invalid_agent_id", path: "payload.agent_id" });
  });

  it("refuses a shutdown whose agent_id is 129 characters long", () => {
    const message = withField(pythonShutdownJson, ["payload", "agent_id"], "a".repeat(129));
    expect(decodeErr(message)).toMatchObject({ reason: "invalid_agent_id", path: "payload.agent_id" });
  });

  it("refuses an agent_id that is a number", () => {
    const error = decodeErr(heartbeatWith(["payload", "agent_id"], 42));
    expect(error).toMatchObject({ reason: "invalid_agent_id", path: "payload.agent_id" });
    expect(error.message).toBe("payload.agent_id: expected string, got 42");
  });

  it("refuses an envelope sender that is not an agent_id", () => {
    const error = decodeErr(heartbeatWith(["sender"], "gaming pc"));
    expect(error).toMatchObject({ reason: "invalid_agent_id", path: "sender" });
    expect(error.message).toContain('sender: expected an agent_id');
  });

  it("reports the agent id even when other fields are wrong too", () => {
    const message = withField(heartbeatWith(["payload", "agent_id"], "bad/id"), ["payload", "resources", "memory_percent"], 140);
    expect(decodeErr(message).reason).toBe("invalid_agent_id");
  });

  it("accepts the longest and the oddest valid agent ids", () => {
    const longest = `A${"._-9".repeat(31)}xyz`;
    expect(longest).toHaveLength(128);
    expect(decodeOk(withField(heartbeatWith(["payload", "agent_id"], longest), ["sender"], longest)).type).toBe("work_status");
  });
});

describe("sender_mismatch: an agent speaks only for itself", () => {
  it.each([
    ["a heartbeat", pythonHeartbeatJson],
    ["a work result", pythonWorkResultJson],
    ["a shutdown", pythonShutdownJson]
  ])("refuses %s whose sender is another agent than payload.agent_id", (_name, wire) => {
    const error = decodeErr(withField(wire, ["sender"], "rogue"));
    expect({ reason: error.reason, path: error.path }).toEqual({ reason: "sender_mismatch", path: "sender" });
    expect(error.message).toBe('sender: sender "rogue" is not payload.agent_id "gaming-pc": an agent speaks only for itself');
  });

  it("does not ask it of a work request (sent by the orchestrator, for an agent)", () => {
    expect(decodeOk(pythonWorkRequestJson).type).toBe("work_request");
  });
});
