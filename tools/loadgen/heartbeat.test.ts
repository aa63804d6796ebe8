// The load generator's heartbeats are a pre-encoded template per agent with
// fixed-width fields patched per message (agents.ts nextHeartbeatMessage,
// wire.ts). Every patched message must still be a valid protocol message, as
// the orchestrator's intake decodes it (decodeMessage on the delivered bytes),
// carrying exactly the values written into it.
import { Result } from "effect";
import { decodeMessage, type Message } from "@homelab/protocol";
import { heartbeatBuildMicros, heartbeatTemplate, makeFleet, nextHeartbeatMessage, SEQ_WIDTH, type SimAgent } from "./agents.ts";
import { makeWireTemplate, writeHundredths, writeInt, writeText } from "./wire.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const decodeHeartbeat = (body: Buffer) => {
  const decoded = decodeMessage(body);
  if (Result.isFailure(decoded)) throw new Error(`does not decode: ${decoded.failure.message}\n${body.toString("utf8")}`);
  const message: Message = decoded.success;
  if (message.type !== "work_status") throw new Error(`expected work_status, got ${message.type}`);
  return message;
};

/** The figures the agent's state says its heartbeat carries, computed here independently of agents.ts. */
const expectedFigures = (agent: SimAgent) => {
  const gpus = agent.gpus.map((gpu) => {
    const total = Math.round((gpu.model.vramMiB / 1024) * 100);
    const used = Math.round(total * gpu.usedFraction);
    return { used: used / 100, available: (total - used) / 100, availableH: total - used, utilization: Math.round(gpu.usedFraction * 100) };
  });
  return {
    cpu_load_1min: Math.round(agent.load1 * 100) / 100,
    memory_available_gb: Math.round(agent.memoryTotalGb * (1 - agent.memoryUsedFraction) * 100) / 100,
    gpu_vram_available_gb: gpus.reduce((s, g) => s + g.availableH, 0) / 100,
    gpus
  };
};

// Eight agents: without a GPU, with one, with two, AMD (uuid null), with and without a pool.
const fleet = makeFleet("t3st01", 8);

describe("nextHeartbeatMessage (pre-encoded template, patched per message)", () => {
  const seqs = [0, 7, 42, 999, 12_345, 1_000_000, 123_456_789, 10 ** SEQ_WIDTH - 1];

  it.each(seqs)("seq %d: every agent's patched heartbeat decodes to the values written into it", (seq) => {
    for (const agent of fleet) {
      agent.seq = seq;
      const before = Date.now();
      const { body, seq: sentSeq, messageId } = nextHeartbeatMessage(agent);
      const after = Date.now();
      const message = decodeHeartbeat(body);
      const r = message.payload.resources;
      const want = expectedFigures(agent);
      expect(sentSeq).toBe(seq);
      expect(agent.seq).toBe(seq + 1);
      expect(message.payload.seq).toBe(seq);
      expect(message.message_id).toBe(messageId);
      expect(messageId).toMatch(UUID);
      expect(message.sender).toBe(agent.agentId);
      expect(message.payload.agent_id).toBe(agent.agentId);
      expect(message.payload.boot_id).toBe(agent.bootId);
      const sentAt = Date.parse(message.sent_at);
      expect(sentAt).toBeGreaterThanOrEqual(before);
      expect(sentAt).toBeLessThanOrEqual(after);
      expect(message.sent_at).toBe(new Date(sentAt).toISOString());
      expect(r.collected_at).toBe(message.sent_at);
      expect(r.cpu_load_1min).toBe(want.cpu_load_1min);
      expect(r.memory_available_gb).toBe(want.memory_available_gb);
      expect(r.gpu_count).toBe(agent.gpus.length);
      expect(r.gpu_vram_available_gb).toBe(want.gpu_vram_available_gb);
      r.gpus.forEach((gpu, i) => {
        expect(gpu.vram_used_gb).toBe(want.gpus[i]!.used);
        expect(gpu.vram_available_gb).toBe(want.gpus[i]!.available);
        expect(gpu.utilization_percent).toBe(want.gpus[i]!.utilization);
      });
      // Fixed width: every message of an agent is exactly as long as its template.
      expect(body.length).toBe(heartbeatTemplate(agent).bytes.length);
    }
  });

  it("pads numbers with leading spaces and keeps the strings' length", () => {
    const agent = fleet[1]!;
    agent.seq = 42;
    const text = nextHeartbeatMessage(agent).body.toString("utf8");
    expect(text).toContain(`"seq":${" ".repeat(SEQ_WIDTH - 2)}42,`);
    expect(text).toMatch(/"message_id":"[0-9a-f-]{36}"/);
    expect(text).toMatch(/"sent_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/);
    expect(text).toMatch(/"cpu_load_1min": *\d+\.\d\d,/);
  });

  it("a run of messages over the fleet: all decode, seqs count up per agent, ids are fresh", () => {
    for (const agent of fleet) agent.seq = 95; // crosses 99 → 100 (a digit more)
    const ids = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const agent = fleet[i % fleet.length]!;
      const expectedSeq = agent.seq;
      const { body, messageId } = nextHeartbeatMessage(agent);
      const message = decodeHeartbeat(body);
      expect(message.payload.seq).toBe(expectedSeq);
      expect(message.payload.resources.cpu_load_1min).toBe(Math.round(agent.load1 * 100) / 100);
      ids.add(messageId);
    }
    expect(ids.size).toBe(400);
  });

  it("a seq beyond the padded width throws, and leaves the agent as it was", () => {
    const agent = fleet[2]!;
    agent.seq = 10 ** SEQ_WIDTH;
    const load = agent.load1;
    expect(() => nextHeartbeatMessage(agent)).toThrow(RangeError);
    expect(() => nextHeartbeatMessage(agent)).toThrow(/payload\.seq = 10000000000 does not fit its 10-character slot/);
    expect(agent.seq).toBe(10 ** SEQ_WIDTH);
    expect(agent.load1).toBe(load);
    agent.seq = -1;
    expect(() => nextHeartbeatMessage(agent)).toThrow(RangeError);
    agent.seq = 1.5;
    expect(() => nextHeartbeatMessage(agent)).toThrow(RangeError);
    agent.seq = 0;
  });
});

describe("heartbeatBuildMicros", () => {
  it("measures the CPU of building a heartbeat alone, in µs", () => {
    const micros = heartbeatBuildMicros(8, 5000);
    expect(Number.isFinite(micros)).toBe(true);
    expect(micros).toBeGreaterThan(0);
  });
});

describe("wire templates", () => {
  const json = JSON.stringify({ id: "abcd", n: 5, x: 1.25, list: [{ v: 1 }, { v: 2 }] });
  const template = makeWireTemplate(json, [
    { path: ["id"], kind: "text", width: 4 },
    { path: ["n"], kind: "int", width: 3 },
    { path: ["x"], kind: "hundredths", width: 6 },
    { path: ["list", 1, "v"], kind: "int", width: 2 }
  ]);
  const [id, n, x, v1] = template.slots;

  it("parses to the encoded value, and each slot writes its own field", () => {
    expect(JSON.parse(template.bytes.toString())).toEqual(JSON.parse(json));
    const buf = Buffer.from(template.bytes);
    writeText(buf, id!, "wxyz");
    writeInt(buf, n!, 999);
    writeHundredths(buf, x!, 100_05);
    writeInt(buf, v1!, 0);
    expect(buf.toString()).toBe('{"id":"wxyz","n":999,"x":100.05,"list":[{"v":1},{"v": 0}]}');
    expect(JSON.parse(buf.toString())).toEqual({ id: "wxyz", n: 999, x: 100.05, list: [{ v: 1 }, { v: 0 }] });
    writeHundredths(buf, x!, 7);
    expect(JSON.parse(buf.toString()).x).toBe(0.07);
  });

  it("refuses what does not fit, rather than writing bad JSON", () => {
    const buf = Buffer.from(template.bytes);
    expect(() => writeInt(buf, n!, 1000)).toThrow(RangeError);
    expect(() => writeHundredths(buf, x!, 1000_00)).toThrow(RangeError);
    expect(() => writeText(buf, id!, "abcde")).toThrow(RangeError);
    expect(() => writeText(buf, id!, 'ab"c')).toThrow(RangeError);
    expect(() => writeText(buf, id!, "ab\\c")).toThrow(RangeError);
    expect(() => writeText(buf, id!, "abcé")).toThrow(RangeError);
    expect(buf.equals(template.bytes)).toBe(true);
  });

  it("refuses a template whose value does not fit its slot, or a path that is not there", () => {
    expect(() => makeWireTemplate(json, [{ path: ["n"], kind: "int", width: 0 }])).toThrow();
    expect(() => makeWireTemplate(json, [{ path: ["id"], kind: "text", width: 5 }])).toThrow(RangeError);
    expect(() => makeWireTemplate(json, [{ path: ["missing"], kind: "int", width: 3 }])).toThrow(/not found/);
  });
});
