import { Effect } from "effect";
import { runLive } from "@homelab/testing";
import { agentRecord, gpu } from "./support/agentRecords.ts";
import { get, startApi } from "./support/startApi.ts";

const fleet = [
  agentRecord("desk-1", { gpus: [gpu(0, 24, 20)], cores_available: 14, memory_available_gb: 40 }),
  agentRecord("desk-2", { status: "offline", gpus: [gpu(0, 24, 24)] }),
  // 15 GB free in all, but no single card has more than 12.
  agentRecord("srv-1", {
    pool: "server_pool_1",
    gpus: [gpu(0, 12, 12), gpu(1, 12, 3)],
    cores_available: 30,
    memory_available_gb: 100
  })
];

describe("GET /capacity", () => {
  it("answers online agents with per-agent figures and totals", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/capacity")));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      agents: [
        { agent_id: "desk-1", best_gpu_vram_available_gb: 20, vram_available_gb: 20 },
        { agent_id: "srv-1", best_gpu_vram_available_gb: 12, vram_available_gb: 15 }
      ],
      totals: { agents: 2, vram_available_gb: 35, cores_available: 44, memory_available_gb: 140 }
    });
  });

  it("passes every decoded filter to the registry as numbers and words", async () => {
    const result = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi(fleet);
        const reply = yield* get(
          api,
          "/capacity?min_vram_gb=12.5&min_cores=4&min_memory_gb=0&gpu_type=nvidia&pool=desktop_pool_1"
        );
        return { reply, filters: api.registry.capacityFilters() };
      })
    );
    expect(result.filters).toEqual([
      { min_vram_gb: 12.5, min_cores: 4, min_memory_gb: 0, gpu_type: "nvidia", pool: "desktop_pool_1" }
    ]);
    expect(result.reply.status).toBe(200);
    expect(result.reply.json).toMatchObject({ agents: [{ agent_id: "desk-1" }], totals: { agents: 1 } });
  });

  it("passes no filter at all when none is given", async () => {
    const filters = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi(fleet);
        yield* get(api, "/capacity");
        return api.registry.capacityFilters();
      })
    );
    expect(filters).toEqual([{}]);
  });

  it("answers the registry's totals of zero when nothing fits", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/capacity?min_vram_gb=40")));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      agents: [],
      totals: { agents: 0, vram_available_gb: 0, cores_available: 0, memory_available_gb: 0, booked: { vram_gb: 0, cores: 0, memory_gb: 0 } },
      queued: 0
    });
  });

  it.each([
    ["min_vram_gb=lots", 'min_vram_gb: expected a non-negative number, got "lots"'],
    ["min_vram_gb=-1", 'min_vram_gb: expected a non-negative number, got "-1"'],
    ["min_vram_gb=", 'min_vram_gb: expected a non-negative number, got ""'],
    ["min_cores=0x10", 'min_cores: expected a non-negative number, got "0x10"'],
    ["min_cores=1e400", 'min_cores: expected a non-negative number, got "1e400"'],
    ["min_memory_gb=NaN", 'min_memory_gb: expected a non-negative number, got "NaN"'],
    ["min_memory_gb=" + "9".repeat(400), "min_memory_gb: expected a finite number, got"],
    ["gpu_type=tpu", 'gpu_type: expected one of nvidia, amd, intel, none, got "tpu"'],
    ["gpu_type=NVIDIA", 'gpu_type: expected one of nvidia, amd, intel, none, got "NVIDIA"'],
    ["pool=", 'pool: expected a non-empty pool name, got ""'],
    ["min_cores=2&min_cores=4", "min_cores: given more than once"]
  ])("refuses %s with 400 naming the parameter", async (query, message) => {
    const result = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi(fleet);
        const reply = yield* get(api, `/capacity?${query}`);
        return { reply, filters: api.registry.capacityFilters() };
      })
    );
    expect(result.reply.status).toBe(400);
    expect(result.reply.json).toEqual({ error: expect.stringContaining(message) });
    expect(result.filters).toEqual([]);
  });

  it("names every bad parameter at once", async () => {
    const reply = await runLive(
      Effect.flatMap(startApi(fleet), (api) => get(api, "/capacity?min_vram_gb=lots&gpu_type=tpu&min_cores=2"))
    );
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      error:
        'min_vram_gb: expected a non-negative number, got "lots"; gpu_type: expected one of nvidia, amd, intel, none, got "tpu"'
    });
  });

  it("refuses unknown query parameters with 400 naming them and the accepted ones", async () => {
    const reply = await runLive(
      Effect.flatMap(startApi(fleet), (api) => get(api, "/capacity?min_vram=12&vram=1&pool=desktop_pool_1"))
    );
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      error:
        'unknown query parameters "min_vram", "vram" (accepted: min_vram_gb, min_cores, min_memory_gb, gpu_type, pool)'
    });
  });

  it("answers 503 'database unavailable' when the registry fails", async () => {
    const reply = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi(fleet);
        api.registry.failWith("Connection terminated unexpectedly");
        return yield* get(api, "/capacity?min_vram_gb=8");
      })
    );
    expect(reply.status).toBe(503);
    expect(reply.json).toEqual({ error: "database unavailable: Connection terminated unexpectedly" });
  });
});
