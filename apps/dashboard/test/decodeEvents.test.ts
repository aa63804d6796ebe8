import { decodeFrame } from "../src/api/decodeEvents.ts";
import { agentJson, frame, gpuJson, metricsJson, snapshotJson, workJson } from "./fixtures.ts";

const eventOf = (meaning: ReturnType<typeof decodeFrame>) => {
  if (meaning.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(meaning)}`);
  return meaning;
};

describe("decoding /events frames", () => {
  test("a snapshot decodes agents, bookings and the three work lists with their fields", () => {
    const json = snapshotJson({
      bookings: [{ agent_id: "a1", gpu_index: 0, vram_gb: 4 }],
      work: {
        active: [workJson("w1")],
        queued: [{ ...workJson("w2", { state: "queued", agent_id: null, gpu_index: null, allocation: null }), position: 1, waiting_reason: "no room" }],
        finished: [workJson("w3", { state: "succeeded", result: { status: "succeeded", exit_code: 0, error: null, started_at: null, finished_at: null } })]
      }
    });
    const { event, problems } = eventOf(decodeFrame(frame("snapshot", json)));
    expect(problems).toEqual([]);
    if (event.kind !== "snapshot") throw new Error("not a snapshot");
    expect(event.heartbeat_timeout_seconds).toBe(30);
    expect(event.agents[0]?.resource_metrics.gpus[0]?.name).toBe("RTX 4090");
    expect(event.bookings).toEqual([{ agent_id: "a1", gpu_index: 0, vram_gb: 4 }]);
    expect(event.work.active[0]?.allocation).toEqual({ vram_gb: 4, cores: 1, memory_gb: 2 });
    expect(event.work.queued[0]).toMatchObject({ work_id: "w2", position: 1, waiting_reason: "no room", allocation: null });
    expect(event.work.finished[0]?.result?.exit_code).toBe(0);
  });

  test("data that is not JSON is reported as malformed, naming the event", () => {
    expect(decodeFrame(frame("agents", "{nope"))).toEqual({ kind: "malformed", message: "agents event: its data is not JSON" });
  });

  test("an event without its required list is malformed and names the field", () => {
    const meaning = decodeFrame(frame("agents", { now: "2025-01-01T00:00:00Z" }));
    expect(meaning).toEqual({ kind: "malformed", message: "agents event ignored: agents.agents: expected an array" });
  });

  test("one malformed agent is dropped with its path while the others are kept", () => {
    const bad = agentJson("bad", { resource_metrics: metricsJson({ gpus: [gpuJson({ vram_total_gb: "24" })] }) });
    const { event, problems } = eventOf(decodeFrame(frame("agents", { now: "2025-01-01T00:00:00Z", agents: [agentJson("a1"), bad] })));
    expect(event.kind === "agents" ? event.agents.map((a) => a.agent_id) : []).toEqual(["a1"]);
    expect(problems).toEqual(["agents.agents[1].resource_metrics.gpus[0].vram_total_gb: expected a finite number"]);
  });

  test("an agent with an unknown status is dropped, not shown with a made-up one", () => {
    const { event, problems } = eventOf(decodeFrame(frame("agents", { now: "x", agents: [agentJson("a1", { status: "zombie" })] })));
    expect(event.kind === "agents" ? event.agents : null).toEqual([]);
    expect(problems[0]).toContain("agents.agents[0].status: expected one of online, offline");
  });

  test("nullable GPU figures decode as null and missing optional agent fields take their defaults", () => {
    const raw = agentJson("a1", { resource_metrics: metricsJson({ gpus: [gpuJson({ utilization_percent: null, temperature_c: null })] }) });
    delete raw["draining"];
    delete raw["drained"];
    raw["reported_status"] = "draining";
    const { event } = eventOf(decodeFrame(frame("agents", { now: "x", agents: [raw] })));
    const agent = event.kind === "agents" ? event.agents[0] : undefined;
    expect(agent?.resource_metrics.gpus[0]).toMatchObject({ utilization_percent: null, temperature_c: null });
    expect(agent).toMatchObject({ drained: false, draining: true });
  });

  test("a work event without queued or bookings says so with null (keep what the page has)", () => {
    const { event } = eventOf(decodeFrame(frame("work", { now: "x", work: [workJson("w1")] })));
    expect(event).toMatchObject({ kind: "work", queued: null, bookings: null });
  });

  test("work params that are not strings make that job malformed", () => {
    const { event, problems } = eventOf(decodeFrame(frame("work", { now: "x", work: [workJson("w1", { params: { n: 3 } })], queued: [], bookings: [] })));
    expect(event.kind === "work" ? event.work : null).toEqual([]);
    expect(problems).toEqual(["work.work[0].params.n: expected a string"]);
  });

  test("a job in an unknown state is dropped", () => {
    const { problems } = eventOf(decodeFrame(frame("work", { now: "x", work: [workJson("w1", { state: "exploded" })], queued: [], bookings: [] })));
    expect(problems[0]).toMatch(/^work\.work\[0\]\.state: expected one of queued, /);
  });

  test("unknown event names and unnamed messages are ignored quietly", () => {
    expect(decodeFrame(frame("future-thing", { a: 1 }))).toEqual({ kind: "ignored" });
    expect(decodeFrame(frame("message", "hello"))).toEqual({ kind: "ignored" });
  });
});
