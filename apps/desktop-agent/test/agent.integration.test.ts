// The agent in-process against the real RabbitMQ: what it puts on the reply
// queue, read the way the orchestrator will read it.
import { Effect, Fiber, Layer, Schema } from "effect";
import { AgentId, type Message, type MessageOf } from "@homelab/protocol";
import { metricsLayer, type MetricsSettings } from "@homelab/metrics";
import {
  makeFakeGpuTools,
  nvidiaCsv,
  readReplyQueue,
  RTX_3060,
  RTX_4090,
  runLive,
  serviceUrls,
  testQueues,
  type FakeGpuTools,
  type ReplyQueueReader
} from "@homelab/testing";
import { runAgent, type AgentOptions } from "../src/Agent.ts";
import { Broker, endpointOf } from "@homelab/broker";
import { TaskRunner } from "@homelab/process";

const isStatus = (m: Message): m is MessageOf<"work_status"> => m.type === "work_status";

let fakes: FakeGpuTools;
beforeEach(() => {
  fakes = makeFakeGpuTools();
});
afterEach(() => fakes.remove());

/** Runs the agent (real broker, real metrics) until `body` is done with the reply queue. */
const withAgent = <A, B = undefined>(
  overrides: Partial<AgentOptions>,
  metrics: Partial<MetricsSettings>,
  body: (reader: ReplyQueueReader, agentId: string) => Promise<A>,
  afterStop?: (reader: ReplyQueueReader, agentId: string) => Promise<B>
) =>
  runLive(
    Effect.gen(function* () {
      const queues = yield* testQueues();
      const replyQueue = queues.name("replies");
      const agentId = queues.name("desk");
      const reader = yield* readReplyQueue(replyQueue);
      const options: AgentOptions = {
        agent_id: Schema.decodeUnknownSync(AgentId)(agentId),
        agent_type: "desktop",
        pool_name: "desktop_pool_1",
        reply_queue: replyQueue,
        heartbeat_interval_seconds: 30,
        max_concurrent_work: 2,
        tasks: { echo: { command: ["echo", "{message}"], timeout_seconds: 30, requires: {} } },
        max_output_bytes: 65536,
        shutdown_grace_seconds: 8,
        host_env: process.env,
        jitter: false,
        ...overrides
      };
      const fiber = yield* runAgent(options).pipe(
        Effect.scoped,
        Effect.provide(
          Layer.mergeAll(
            Broker.layer(endpointOf(serviceUrls().amqpUrl)),
            metricsLayer({ toolEnv: fakes.env, drmClassDir: `${fakes.dir}/drm`, ...metrics }),
            TaskRunner.layer
          )
        ),
        Effect.forkChild
      );
      const result = yield* Effect.promise(() => body(reader, agentId));
      yield* Fiber.interrupt(fiber);
      const after = afterStop === undefined ? undefined : yield* Effect.promise(() => afterStop(reader, agentId));
      // Work queues are named by the agent; delete them with the suite's queues.
      queues.adopt(`agent.${agentId}.work`);
      return { result, after };
    })
  );

describe("heartbeat on the real broker", () => {
  it("has every StatusUpdate field, UTC timestamps, the right agent_id and resources", async () => {
    const beat = (await withAgent({}, { gpuBackend: "none" }, (reader) => reader.next(isStatus))).result;
    expect(beat).toMatchObject({ type: "work_status", version: 1 });
    expect(beat.sender).toBe(beat.payload.agent_id);
    expect(beat.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(beat.sent_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(beat.sent_at) - Date.now())).toBeLessThan(60_000);
    const p = beat.payload;
    expect(p).toMatchObject({ agent_type: "desktop", pool_name: "desktop_pool_1", status: "online", seq: 0, capabilities: ["echo"], current_work: [] });
    expect(p.boot_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(p.resources.collected_at).toMatch(/Z$/);
    expect(Object.keys(p.resources).sort()).toEqual(
      [
        "collected_at",
        "collection_errors",
        "cpu_cores_available",
        "cpu_cores_total",
        "cpu_load_15min",
        "cpu_load_1min",
        "cpu_load_5min",
        "gpu_count",
        "gpu_type",
        "gpu_vram_available_gb",
        "gpu_vram_total_gb",
        "gpus",
        "memory_available_gb",
        "memory_percent",
        "memory_total_gb"
      ].sort()
    );
  });

  it("carries load averages, cores available = total − 1 min load, memory in range", async () => {
    const { resources: r } = (await withAgent({}, { gpuBackend: "none" }, (reader) => reader.next(isStatus))).result.payload;
    expect(r.cpu_load_1min).toBeGreaterThanOrEqual(0);
    expect(r.cpu_load_5min).toBeGreaterThanOrEqual(0);
    expect(r.cpu_cores_available).toBeCloseTo(Math.max(0, r.cpu_cores_total - r.cpu_load_1min), 2);
    expect(r.memory_available_gb).toBeGreaterThan(0);
    expect(r.memory_percent).toBeGreaterThan(0);
    expect(r.memory_percent).toBeLessThan(100);
  });

  it.each([
    ["nvidia", (): void => fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090, RTX_3060]) }), 2],
    [
      "amd",
      (): void =>
        fakes.answer("rocm-smi", {
          stdout: JSON.stringify({
            card0: { "Card Series": "Navi 31", "VRAM Total Memory (B)": String(24 * 1024 ** 3), "VRAM Total Used Memory (B)": "0", "GPU use (%)": "0", "Temperature (Sensor edge) (C)": "40.0", "Unique ID": "0x1" }
          })
        }),
      1
    ],
    [
      "intel",
      (): void => {
        const device = { device_id: 0, device_name: "Intel(R) Arc(TM) A770 Graphics", uuid: "00000000-0000-0000-0000-56a000000300" };
        fakes.answer("xpu-smi", { stdout: JSON.stringify({ device_list: [device] }) }, "discovery");
        fakes.answer("xpu-smi", { stdout: JSON.stringify({ ...device, memory_physical_size_byte: String(16 * 1024 ** 3), memory_free_size_byte: String(16 * 1024 ** 3) }) }, "discovery -d");
        fakes.answer("xpu-smi", { stdout: JSON.stringify({ device_id: 0, device_level: [] }) }, "stats");
      },
      1
    ],
    ["none", (): void => undefined, 0]
  ] as const)("detects the %s GPU type with GPU_BACKEND=auto and reports its VRAM", async (gpuType, install, count): Promise<void> => {
    install();
    const { resources } = (await withAgent({}, { gpuBackend: "auto" }, (reader) => reader.next(isStatus))).result.payload;
    expect(resources.gpu_type).toBe(gpuType);
    expect(resources.gpu_count).toBe(count);
    expect(resources.gpus).toHaveLength(count);
    if (count > 0) expect(resources.gpu_vram_total_gb).toBeGreaterThan(0);
    expect(resources.collection_errors).toEqual([]);
  });

  it("still heartbeats when the GPU tool hangs, naming the timeout", async () => {
    fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090]) });
    fakes.hang("nvidia-smi");
    const beat = (await withAgent({}, { gpuBackend: "nvidia", sourceTimeoutMs: 300 }, (reader) => reader.next(isStatus))).result;
    expect(beat.payload.resources).toMatchObject({ gpu_type: "nvidia", gpu_count: 0 });
    expect(beat.payload.resources.collection_errors).toEqual([
      { source: "gpu:nvidia", message: "nvidia-smi did not finish within 300 ms; killed" }
    ]);
  });
});
