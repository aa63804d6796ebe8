// POST /work, GET /work and GET /work/:id over the real PostgreSQL and
// RabbitMQ: validation, the bearer token, routing with allocations, the
// request as it lands on the agent's queue, and racing submissions.
import { request as httpRequest } from "node:http";
import { Effect, Option, Redacted } from "effect";
import { Connection } from "rabbitmq-client";
import { decodeDelivered, workQueueName } from "@homelab/protocol";
import { runLive, serviceUrls, uniqueName } from "@homelab/testing";
import { tokensEqual } from "../src/http/auth.ts";
import { getJson, online, post, startWorkApi } from "./support/workApi.ts";

/** The messages waiting on an agent's work queue (taken off it); none when it has no queue. */
const takeRequests = (agentId: string) =>
  Effect.promise(async () => {
    const reader = new Connection({ url: serviceUrls().amqpUrl, noDelay: true });
    const out: Array<unknown> = [];
    try {
      for (;;) {
        const msg = await reader.basicGet({ queue: workQueueName(agentId), noAck: true });
        if (msg === undefined) break;
        out.push(decodeDelivered(msg.body));
      }
    } catch (e) {
      // No queue at all: nothing was ever dispatched to that agent.
      if (!String(e).includes("NOT_FOUND")) throw e;
    }
    await reader.close();
    return out;
  });

const getStatus = (api: { readonly base: string }, path: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(`${api.base}${path}`, { headers });
    await response.text();
    return response.status;
  });

/** A GET with a Host header of the test's choosing (fetch would not send one). */
const rawStatus = (api: { readonly base: string }, path: string, host: string) =>
  Effect.promise(
    () =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const url = new URL(api.base);
        const req = httpRequest({ host: url.hostname, port: url.port, path, headers: { host } }, (res) => {
          const parts: Array<Buffer> = [];
          res.on("data", (d: Buffer) => parts.push(d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
        });
        req.on("error", reject);
        req.end();
      })
  );

describe("POST /work", () => {
  it("books the agent with the most free VRAM on one GPU, puts the work_request on its queue and answers 202", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const small = uniqueName("small");
        const big = uniqueName("big");
        yield* online(api, small, { gpus: [12, 12] });
        yield* online(api, big, { gpus: [4, 20] });
        const reply = yield* post(api, { kind: "echo", params: { message: "hi" }, requirements: { min_vram_gb: 16 }, timeout_seconds: 30 });
        const requests = yield* takeRequests(big);
        const stored = yield* getJson(api, `/work/${String(reply.json["work_id"])}`);
        return { reply, requests, stored, big };
      })
    );
    expect(seen.reply.status).toBe(202);
    expect(seen.reply.json).toMatchObject({ agent_id: seen.big, gpu_index: 1, state: "dispatched", allocation: { vram_gb: 16 } });
    expect(seen.requests).toHaveLength(1);
    expect(seen.requests[0]).toMatchObject({
      _tag: "Success",
      success: {
        type: "work_request",
        sender: "orchestrator",
        correlation_id: seen.reply.json["work_id"],
        payload: { work_id: seen.reply.json["work_id"], kind: "echo", params: { message: "hi" }, timeout_seconds: 30 }
      }
    });
    expect(seen.stored.status).toBe(200);
    expect(seen.stored.json).toMatchObject({ work_id: seen.reply.json["work_id"], state: "dispatched" });
  });

  it("answers 409 with the reason, storing nothing, when asked not to queue or when no agent could ever take the job", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const only = uniqueName("only");
        yield* online(api, only, { gpus: [10] });
        const vram = yield* post(api, { kind: "echo", requirements: { min_vram_gb: 12 }, queue: false });
        const kind = yield* post(api, { kind: "transcode" });
        const never = yield* post(api, { kind: "echo", requirements: { min_vram_gb: 100 } });
        return { vram, kind, never, listed: yield* getJson(api, "/work"), queued: yield* takeRequests(only) };
      })
    );
    expect(seen.vram.status).toBe(409);
    expect(seen.vram.json["error"]).toMatch(/needs min_vram_gb 12 on one GPU \(most free now: 10 GB\)/);
    expect(seen.kind.status).toBe(409);
    expect(seen.kind.json["error"]).toBe('no agent can ever take this work: no registered agent advertises kind "transcode", so it could never run');
    expect(seen.never.status).toBe(409);
    expect(seen.never.json["error"]).toMatch(/could take it even with nothing else running: needs min_vram_gb 100 on one GPU \(the largest has 24 GB\)/);
    expect(seen.listed.json).toEqual([]);
    expect(seen.queued).toEqual([]);
  });

  it("queues a job that does not fit now (202, queued, with why it waits) and lists the queue with positions", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const only = uniqueName("only");
        yield* online(api, only, { gpus: [10] });
        const first = yield* post(api, { kind: "echo", requirements: { min_vram_gb: 12 } });
        const urgent = yield* post(api, { kind: "echo", requirements: { min_vram_gb: 12 }, priority: 3 });
        const queue = yield* getJson(api, "/work?status=queued");
        const one = yield* getJson(api, `/work/${String(first.json["work_id"])}`);
        return { first, urgent, queue, one, only, requests: yield* takeRequests(only) };
      })
    );
    expect(seen.first.status).toBe(202);
    expect(seen.first.json).toMatchObject({ state: "queued", agent_id: null, waiting_reason: `gpu0 on ${seen.only} has 10 of 12 GB free` });
    const queue = seen.queue.json as unknown as ReadonlyArray<Record<string, unknown>>;
    expect(queue.map((w) => [w["work_id"], w["position"], w["waiting_reason"]])).toEqual([
      [seen.urgent.json["work_id"], 1, `gpu0 on ${seen.only} has 10 of 12 GB free`],
      [seen.first.json["work_id"], 2, `gpu0 on ${seen.only} has 10 of 12 GB free`]
    ]);
    expect(seen.one.json).toMatchObject({ state: "queued", waiting_reason: `gpu0 on ${seen.only} has 10 of 12 GB free` });
    expect(seen.requests).toEqual([]);
  });

  it("gives two racing requests for the last free 24 GB one agent each time, never both the same card", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const a = uniqueName("race-a");
        const b = uniqueName("race-b");
        yield* online(api, a, { gpus: [24] });
        yield* online(api, b, { gpus: [24] });
        const body = { kind: "echo", requirements: { min_vram_gb: 20 } };
        const replies = yield* Effect.all([post(api, body), post(api, body), post(api, body)], { concurrency: "unbounded" });
        return { replies, a, b };
      })
    );
    const booked = seen.replies.filter((r) => r.json["state"] === "dispatched").map((r) => r.json["agent_id"]);
    expect(booked.sort()).toEqual([seen.a, seen.b].sort());
    // The third waits for one of them.
    expect(seen.replies.filter((r) => r.json["state"] === "queued")).toHaveLength(1);
  });

  it("refuses a bad body with a 400 naming the field", async () => {
    const replies = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        return {
          noKind: yield* post(api, { params: {} }),
          badKind: yield* post(api, { kind: "rm -rf" }),
          paramNotString: yield* post(api, { kind: "echo", params: { n: 3 } }),
          negativeVram: yield* post(api, { kind: "echo", requirements: { min_vram_gb: -1 } }),
          gpuType: yield* post(api, { kind: "echo", requirements: { gpu_type: "voodoo" } }),
          timeout: yield* post(api, { kind: "echo", timeout_seconds: 0 }),
          typo: yield* post(api, { kind: "echo", requirement: { min_vram_gb: 1 } }),
          notJson: yield* post(api, "{kind: echo}"),
          array: yield* post(api, [])
        };
      })
    );
    for (const reply of Object.values(replies)) expect(reply.status).toBe(400);
    expect(replies.noKind.json["error"]).toMatch(/^kind: /);
    expect(replies.badKind.json["error"]).toMatch(/^kind: expected a task kind/);
    expect(replies.paramNotString.json["error"]).toMatch(/^params\.n: /);
    expect(replies.negativeVram.json["error"]).toMatch(/^requirements\.min_vram_gb: .*got -1/);
    expect(replies.gpuType.json["error"]).toMatch(/^requirements\.gpu_type: /);
    expect(replies.timeout.json["error"]).toMatch(/^timeout_seconds: /);
    expect(replies.typo.json["error"]).toMatch(/requirement/);
    expect(replies.notJson.json["error"]).toMatch(/not valid JSON/);
    expect(replies.array.json["error"]).toMatch(/JSON object/);
  });

  it("requires the bearer token when API_TOKEN is set, for reads too: 401 without it or with another, 2xx with it; health and metrics stay open", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi("s3cret-token");
        yield* online(api, uniqueName("authed"));
        return {
          none: yield* post(api, { kind: "echo" }),
          wrong: yield* post(api, { kind: "echo" }, { authorization: "Bearer s3cret-tokeN" }),
          basic: yield* post(api, { kind: "echo" }, { authorization: "Basic czNjcmV0LXRva2Vu" }),
          right: yield* post(api, { kind: "echo" }, { authorization: "Bearer s3cret-token" }),
          reads: yield* Effect.forEach(["/work", "/agents", "/capacity"], (path) => getStatus(api, path)),
          readsWithToken: yield* Effect.forEach(["/work", "/agents", "/capacity"], (path) =>
            getStatus(api, path, { authorization: "Bearer s3cret-token" })
          ),
          open: yield* Effect.forEach(["/healthz", "/metrics"], (path) => getStatus(api, path))
        };
      })
    );
    expect([seen.none.status, seen.wrong.status, seen.basic.status, seen.right.status]).toEqual([401, 401, 401, 202]);
    expect(seen.none.auth).toMatch(/^Bearer/);
    expect(seen.wrong.json["error"]).toBe("the bearer token is not the API_TOKEN this orchestrator was configured with");
    expect(seen.reads).toEqual([401, 401, 401]);
    expect(seen.readsWithToken).toEqual([200, 200, 200]);
    expect(seen.open).toEqual([200, 200]);
  });

  it("protects /metrics with METRICS_TOKEN when set, and refuses a Host not in HTTP_ALLOWED_HOSTS before any route", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi(undefined, {
          metricsToken: Option.some(Redacted.make("scrape-me")),
          allowedHosts: Option.some(["127.0.0.1", "fleet.lan"])
        });
        return {
          metrics: yield* getStatus(api, "/metrics"),
          metricsWithToken: yield* getStatus(api, "/metrics", { authorization: "Bearer scrape-me" }),
          rebound: yield* rawStatus(api, "/agents", "evil.example:8080"),
          named: yield* rawStatus(api, "/agents", "fleet.lan:8080")
        };
      })
    );
    expect(seen.metrics).toBe(401);
    expect(seen.metricsWithToken).toBe(200);
    expect(seen.rebound).toEqual({ status: 403, text: '{"error":"Host \\"evil.example\\" is not in HTTP_ALLOWED_HOSTS (127.0.0.1, fleet.lan)"}' });
    expect(seen.named.status).toBe(200);
  });
});

describe("GET /work", () => {
  it("lists work filtered by status and agent, 404 for an unknown id, 400 for a bad filter or an id that is not a UUID", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const one = uniqueName("lister");
        yield* online(api, one);
        const posted = yield* post(api, { kind: "echo" });
        return {
          id: posted.json["work_id"],
          mine: yield* getJson(api, `/work?agent=${one}&status=dispatched`),
          none: yield* getJson(api, "/work?status=succeeded"),
          missing: yield* getJson(api, "/work/5f0c2a9e-1b7d-4c3e-8a6f-0d9e8c7b6a51"),
          notAnId: yield* getJson(api, "/work/nope"),
          bad: yield* getJson(api, "/work?status=done"),
          badLimit: yield* getJson(api, "/work?limit=0")
        };
      })
    );
    expect((seen.mine.json as Array<{ work_id: string }>).map((w) => w.work_id)).toEqual([seen.id]);
    expect(seen.none.json).toEqual([]);
    expect(seen.missing.status).toBe(404);
    expect(seen.notAnId).toEqual({ status: 400, json: { error: 'work_id: expected a UUID, got "nope"' } });
    expect(seen.bad.status).toBe(400);
    expect(JSON.stringify(seen.bad.json)).toMatch(/status: expected one of queued, pending, dispatched/);
    expect(seen.badLimit.status).toBe(400);
  });
});

describe("bearer token comparison", () => {
  it("accepts only the exact token, whatever the lengths", () => {
    expect(tokensEqual("abc", "abc")).toBe(true);
    expect(tokensEqual("abc", "abcd")).toBe(false);
    expect(tokensEqual("", "abc")).toBe(false);
    expect(tokensEqual("abC", "abc")).toBe(false);
  });
});
