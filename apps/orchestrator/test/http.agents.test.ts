import { Effect } from "effect";
import { runLive } from "@homelab/testing";
import { agentRecord, gpu } from "./support/agentRecords.ts";
import { get, startApi } from "./support/startApi.ts";

const fleet = [
  agentRecord("desk-1", { gpus: [gpu(0, 24, 20)] }),
  agentRecord("desk-2", { status: "offline" }),
  agentRecord("srv-1", { pool: "server_pool_1", gpus: [gpu(0, 12, 12), gpu(1, 12, 3)] })
];

const idsOf = (json: unknown): ReadonlyArray<string> =>
  Array.isArray(json) ? json.map((a: { agent_id: string }) => a.agent_id) : [];

describe("GET /agents", () => {
  it("lists every registered agent, online and offline, as the registry's records", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents")));
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.json).toEqual(fleet.map((a) => ({ ...a, draining: false })));
  });

  it("filters by status and by pool, passing the filter to the registry", async () => {
    const result = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi(fleet);
        const offline = yield* get(api, "/agents?status=offline");
        const online = yield* get(api, "/agents?status=online");
        const pool = yield* get(api, "/agents?pool=server_pool_1&status=online");
        return { offline, online, pool, filters: api.registry.agentFilters() };
      })
    );
    expect(idsOf(result.offline.json)).toEqual(["desk-2"]);
    expect(idsOf(result.online.json)).toEqual(["desk-1", "srv-1"]);
    expect(idsOf(result.pool.json)).toEqual(["srv-1"]);
    expect(result.filters).toEqual([
      { status: "offline" },
      { status: "online" },
      { status: "online", pool: "server_pool_1" }
    ]);
  });

  it("answers an empty array when nothing matches", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents?pool=gpu_pool_9")));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual([]);
  });

  it("refuses a status that is not online or offline with 400 naming the parameter and the value", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents?status=busy")));
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: 'status: expected one of online, offline, got "busy"' });
  });

  it("refuses an empty pool with 400", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents?pool=")));
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: 'pool: expected a non-empty pool name, got ""' });
  });

  it("refuses a parameter given twice with 400", async () => {
    const reply = await runLive(
      Effect.flatMap(startApi(fleet), (api) => get(api, "/agents?status=online&status=offline"))
    );
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: "status: given more than once" });
  });

  it("refuses an unknown query parameter with 400 naming it and the accepted ones", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents?state=online")));
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: 'unknown query parameter "state" (accepted: status, pool)' });
  });

  it("answers 503 'database unavailable' when the registry fails", async () => {
    const reply = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi(fleet);
        api.registry.failWith("connect ECONNREFUSED 127.0.0.1:5432");
        return yield* get(api, "/agents");
      })
    );
    expect(reply.status).toBe(503);
    expect(reply.json).toEqual({ error: "database unavailable: connect ECONNREFUSED 127.0.0.1:5432" });
  });
});

describe("GET /agents/:id", () => {
  it("answers one agent's record", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents/srv-1")));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ ...fleet[2], draining: false, gpu_inventory: null });
  });

  it("answers an offline agent too: liveness does not hide a record", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents/desk-2")));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ agent_id: "desk-2", status: "offline" });
  });

  it("answers 404 naming an agent that is not registered", async () => {
    const reply = await runLive(Effect.flatMap(startApi(fleet), (api) => get(api, "/agents/ghost")));
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({ error: 'agent "ghost" is not registered' });
  });

  it("answers 503 'database unavailable' when the registry fails", async () => {
    const reply = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi(fleet);
        api.registry.failWith("timeout exceeded when trying to connect");
        return yield* get(api, "/agents/desk-1");
      })
    );
    expect(reply.status).toBe(503);
    expect(reply.json).toEqual({ error: "database unavailable: timeout exceeded when trying to connect" });
  });
});
