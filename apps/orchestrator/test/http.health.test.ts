import { Effect } from "effect";
import { runLive } from "@homelab/testing";
import { get, startApi } from "./support/startApi.ts";

describe("GET /healthz", () => {
  it("answers 200 {status: ok} while the process runs, even with broker and database down", async () => {
    const reply = await runLive(Effect.flatMap(startApi(), (api) => get(api, "/healthz")));
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ status: "ok" });
  });
});

describe("GET /readyz", () => {
  it("answers 503 naming both components as not connected yet at start", async () => {
    const reply = await runLive(Effect.flatMap(startApi(), (api) => get(api, "/readyz")));
    expect(reply.status).toBe(503);
    expect(reply.json).toEqual({
      status: "not ready",
      error: "not ready: broker: not connected yet; database: not connected yet",
      components: {
        broker: { up: false, detail: "not connected yet" },
        database: { up: false, detail: "not connected yet" }
      }
    });
  });

  it("answers 503 naming only the component that is down, and why", async () => {
    const reply = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi();
        yield* api.readiness.set("database", true);
        yield* api.readiness.set("broker", false, "connection lost: ECONNREFUSED 127.0.0.1:5672");
        return yield* get(api, "/readyz");
      })
    );
    expect(reply.status).toBe(503);
    expect(reply.json).toMatchObject({
      error: "not ready: broker: connection lost: ECONNREFUSED 127.0.0.1:5672",
      components: { database: { up: true }, broker: { up: false } }
    });
  });

  it("answers 200 once broker and database are both up, and 503 again when one goes away", async () => {
    const replies = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi();
        yield* api.readiness.set("broker", true);
        yield* api.readiness.set("database", true);
        const up = yield* get(api, "/readyz");
        yield* api.readiness.set("database", false, "connection terminated");
        const down = yield* get(api, "/readyz");
        return { up, down };
      })
    );
    expect(replies.up.status).toBe(200);
    expect(replies.up.json).toEqual({
      status: "ready",
      components: { broker: { up: true, detail: "connected" }, database: { up: true, detail: "connected" } }
    });
    expect(replies.down.status).toBe(503);
    expect(replies.down.json).toMatchObject({ error: "not ready: database: connection terminated" });
  });
});

describe("routing", () => {
  it("answers an unknown path with a JSON 404", async () => {
    const reply = await runLive(Effect.flatMap(startApi(), (api) => get(api, "/nope?x=1")));
    expect(reply.status).toBe(404);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ error: "no route for GET /nope" });
  });

  it("answers a known path with a method it does not serve with a JSON 404", async () => {
    const reply = await runLive(
      Effect.flatMap(startApi(), (api) =>
        Effect.promise(async () => {
          const response = await fetch(`${api.baseUrl}/agents`, { method: "DELETE" });
          return { status: response.status, json: await response.json() };
        })
      )
    );
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({ error: "no route for DELETE /agents" });
  });
});
