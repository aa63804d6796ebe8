import { Schema } from "effect";
import { AgentId, decodeMessage, encodeMessage, MAX_MESSAGE_BYTES } from "@homelab/protocol";
import { headCapture, outputText, stderrText, tailCapture } from "@homelab/process";
import { outcomeFields, rejection, workResultMessage } from "../src/work/workResult.ts";

const capture = (make: typeof headCapture, cap: number, chunks: ReadonlyArray<string>) => {
  const c = make(cap);
  for (const chunk of chunks) c.push(Buffer.from(chunk, "utf8"));
  return c.result();
};

describe("output capture", () => {
  it("keeps stdout's head up to the cap and counts the rest as dropped", () => {
    expect(capture(headCapture, 5, ["abc", "defg", "hij"])).toEqual({ text: "abcde", droppedBytes: 5, sanitized: false });
    expect(capture(headCapture, 50, ["abc", "def"])).toEqual({ text: "abcdef", droppedBytes: 0, sanitized: false });
  });

  it("keeps stderr's tail up to the cap", () => {
    expect(capture(tailCapture, 5, ["abc", "defg", "hij"])).toEqual({ text: "fghij", droppedBytes: 5, sanitized: false });
    expect(capture(tailCapture, 50, ["abc", "def"])).toEqual({ text: "abcdef", droppedBytes: 0, sanitized: false });
  });

  it("never cuts a UTF-8 character in half", () => {
    // "é" is 2 bytes, "€" 3: a cap of 4 bytes falls inside the second character.
    expect(capture(headCapture, 4, ["aé€b"])).toEqual({ text: "aé", droppedBytes: 4, sanitized: false });
    expect(capture(tailCapture, 4, ["aé€b"])).toEqual({ text: "€b", droppedBytes: 3, sanitized: false });
  });

  it("turns binary output into text: invalid UTF-8 and NUL become U+FFFD, and says so", () => {
    const c = headCapture(100);
    c.push(Buffer.from([0x00, 0x00, 0x41, 0xff, 0xfe, 0x42]));
    expect(c.result()).toEqual({ text: "\uFFFD\uFFFDA\uFFFD\uFFFDB", droppedBytes: 0, sanitized: true });
    const t = tailCapture(100);
    t.push(Buffer.from("ok\u0000", "utf8"));
    expect(t.result()).toEqual({ text: "ok\uFFFD", droppedBytes: 0, sanitized: true });
  });

  it("keeps nothing with a cap of 0, and still counts", () => {
    expect(capture(headCapture, 0, ["abc"])).toEqual({ text: "", droppedBytes: 3, sanitized: false });
    expect(capture(tailCapture, 0, ["abc"])).toEqual({ text: "", droppedBytes: 3, sanitized: false });
  });

  it("marks truncation in the text", () => {
    expect(outputText({ text: "abc", droppedBytes: 983_040, sanitized: false })).toBe("abc\n[output truncated: 983040 bytes dropped]");
    expect(outputText({ text: "abc", droppedBytes: 0, sanitized: false })).toBe("abc");
    expect(stderrText({ text: "boom", droppedBytes: 12, sanitized: false })).toBe("[stderr truncated: 12 earlier bytes dropped]\nboom");
  });
});

describe("work_result fields from an outcome", () => {
  it("a program that writes binary still succeeds, with output_sanitized set and the result decodable", () => {
    const binary = headCapture(100);
    binary.push(Buffer.alloc(8));
    const fields = outcomeFields("head", { _tag: "Exited", exitCode: 0, stdout: binary.result(), stderr: { text: "", droppedBytes: 0, sanitized: false } });
    expect(fields).toEqual({ status: "succeeded", exit_code: 0, output: "\uFFFD".repeat(8), error: null, output_sanitized: true });
    const message = workResultMessage({
      stamp: { message_id: "8b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", sent_at: "2025-03-01T12:00:00Z" },
      agentId: AgentId.make("gaming-pc"),
      workId: "w-1",
      fields,
      startedAt: "2025-03-01T12:00:00Z",
      finishedAt: "2025-03-01T12:00:01Z"
    });
    const decoded = decodeMessage(encodeMessage(message));
    expect(decoded._tag).toBe("Success");
  });

  it("never sends an error the orchestrator refuses: a NUL quoted from the config becomes U+FFFD", () => {
    const message = workResultMessage({
      stamp: { message_id: "8b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", sent_at: "2025-03-01T12:00:00Z" },
      agentId: AgentId.make("gaming-pc"),
      workId: "w-1",
      fields: rejection("no such program: a\u0000b"),
      startedAt: "2025-03-01T12:00:00Z",
      finishedAt: "2025-03-01T12:00:01Z"
    });
    const decoded = decodeMessage(encodeMessage(message));
    expect(decoded._tag).toBe("Success");
    expect(message.payload).toMatchObject({ error: "no such program: a\uFFFDb", output_sanitized: true });
  });


  const none = { text: "", droppedBytes: 0, sanitized: false };
  it.each([
    [
      "exit 0 is succeeded, with stdout as output and no error",
      { _tag: "Exited", exitCode: 0, stdout: { text: "ok\n", droppedBytes: 0, sanitized: false }, stderr: { text: "warning\n", droppedBytes: 0, sanitized: false } },
      { status: "succeeded", exit_code: 0, output: "ok\n", error: null }
    ],
    [
      "a non-zero exit is failed, naming the program and code, with stderr's tail",
      { _tag: "Exited", exitCode: 3, stdout: none, stderr: { text: "disk full\n", droppedBytes: 0, sanitized: false } },
      { status: "failed", exit_code: 3, output: "", error: "ffmpeg exited with code 3; stderr:\ndisk full\n" }
    ],
    [
      "a signal is failed with no exit code",
      { _tag: "Signalled", signal: "SIGSEGV", stdout: none, stderr: none },
      { status: "failed", exit_code: null, output: "", error: "ffmpeg was killed by SIGSEGV" }
    ],
    [
      "a timeout is timed_out",
      { _tag: "TimedOut", timeoutMs: 1500, stdout: { text: "frame 1\n", droppedBytes: 0, sanitized: false }, stderr: none },
      { status: "timed_out", exit_code: null, output: "frame 1\n", error: "timed out after 1.5 s; ffmpeg and its process group were killed" }
    ],
    [
      "a kill at the shutdown grace is failed with the reason",
      { _tag: "Killed", reason: "agent stopping: killed after the 8 s shutdown grace", stdout: none, stderr: none },
      { status: "failed", exit_code: null, output: "", error: "agent stopping: killed after the 8 s shutdown grace" }
    ],
    [
      "a program that could not start is failed, saying why",
      { _tag: "NotStarted", reason: "command not found: ffmpeg" },
      { status: "failed", exit_code: null, output: "", error: "command not found: ffmpeg" }
    ]
  ] as const)("%s", (_behaviour, outcome, fields) => {
    expect(outcomeFields("ffmpeg", outcome)).toEqual(fields);
  });

  it("a rejection is never run: no exit code, no output", () => {
    expect(rejection('unknown task kind "x"')).toEqual({ status: "rejected", exit_code: null, output: "", error: 'unknown task kind "x"' });
  });
});

describe("work_result message size", () => {
  const base = {
    stamp: { message_id: "7d1e0f3a-5b2c-4e8d-9a6f-0c1b2a3d4e5f", sent_at: "2026-01-01T00:00:00.000Z" },
    agentId: Schema.decodeUnknownSync(AgentId)("desk-1"),
    workId: "w-1",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z"
  };

  it("stays within the 1 MiB limit even when JSON escaping grows capped output sixfold", () => {
    // 256 KiB of control characters each way: \u0001 is 6 bytes in JSON, so 3 MiB unshortened.
    const control = "\u0001".repeat(262_144);
    const message = workResultMessage({
      ...base,
      fields: { status: "failed", exit_code: 1, output: control, error: `tool exited with code 1; stderr:\n${control}` }
    });
    const bytes = encodeMessage(message);
    expect(bytes.byteLength).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const decoded = decodeMessage(bytes);
    expect(decoded._tag).toBe("Success");
    if (decoded._tag !== "Success" || decoded.success.type !== "work_result") return;
    expect(decoded.success.payload.output.endsWith("\n[shortened to fit the 1 MiB message limit]")).toBe(true);
    expect(decoded.success.payload.error?.startsWith("tool exited with code 1; stderr:\n")).toBe(true);
  });

  it("leaves a result that fits untouched", () => {
    const fields = { status: "succeeded", exit_code: 0, output: "x".repeat(262_144), error: null } as const;
    const message = workResultMessage({ ...base, fields });
    expect(message.type === "work_result" ? message.payload : undefined).toMatchObject(fields);
  });
});
