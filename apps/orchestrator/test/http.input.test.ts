// Bad HTTP input over the real API (PostgreSQL and RabbitMQ behind it):
// every bad request is a 4xx with a JSON body that says what was wrong,
// never a 5xx, and never costs the orchestrator memory.
import { Effect } from "effect";
import fc from "fast-check";
import { AgentId } from "@homelab/protocol";
import { runLive, uploadBody } from "@homelab/testing";
import { get } from "./support/startApi.ts";
import { type Api, getJson, online, post, startWorkApi } from "./support/workApi.ts";

const upload = (api: Api, total: number, declare: boolean) =>
  Effect.promise(() => uploadBody(`${api.base}/work`, total, declare)).pipe(
    Effect.map((reply) => ({ status: reply.status, json: JSON.parse(reply.text) as unknown, sentBytes: reply.sentBytes }))
  );

const rawGet = (api: Api, path: string) => get({ baseUrl: api.base }, path);

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const HUGE = 150 * 1024 * 1024;

describe("HTTP: bad input is a 4xx naming the problem", () => {
  it("refuses a 150 MB body on its Content-Length (413) and a chunked one at the limit, without reading it all", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const declared = yield* upload(api, HUGE, true);
        const chunked = yield* upload(api, HUGE, false);
        return { declared, chunked };
      })
    );
    expect(seen.declared.status).toBe(413);
    expect(seen.declared.json).toEqual({ error: "the body is over the limit of 65536 bytes" });
    expect(seen.chunked.status).toBe(413);
    expect(seen.chunked.json).toEqual({ error: "the body is over the limit of 65536 bytes" });
    // The server stopped taking the body: the client could not push all 150 MB.
    expect(seen.chunked.sentBytes).toBeLessThan(HUGE);
  });
});

describe("HTTP: ids, text and nesting", () => {
  it("checks path ids before any query: a 128-character agent_id is looked up, bad ones get a 400 naming the id", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const longest = `a${"b".repeat(127)}`;
        return {
          longest: yield* rawGet(api, `/agents/${longest}`),
          nul: yield* rawGet(api, "/agents/a%00b"),
          invalidUtf8: yield* rawGet(api, "/agents/%FF%FE"),
          tooLong: yield* rawGet(api, `/agents/${"c".repeat(129)}`),
          badEscape: yield* rawGet(api, "/agents/%E0%A4%A"),
          workNul: yield* rawGet(api, "/work/%00"),
          workNotUuid: yield* rawGet(api, "/work/not-a-work-id"),
          workUnknown: yield* rawGet(api, "/work/8b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e")
        };
      })
    );
    expect(seen.longest.status).toBe(404);
    expect(seen.longest.json).toEqual({ error: expect.stringContaining("is not registered") });
    for (const [name, reply] of Object.entries(seen)) {
      if (name === "longest" || name === "workUnknown") continue;
      expect({ name, status: [400, 404].includes(reply.status), json: reply.json }).toEqual({ name, status: true, json: { error: expect.any(String) } });
    }
    expect(seen.nul.json).toEqual({ error: expect.stringMatching(/^agent_id: expected 1-128 of/) });
    expect(seen.tooLong.status).toBe(400);
    expect(seen.workNotUuid.json).toEqual({ error: 'work_id: expected a UUID, got "not-a-work-id"' });
    expect(seen.workUnknown.status).toBe(404);
  });

  it("refuses NUL and lone surrogates in a body or a query with a 400 naming the field", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        yield* online(api, "desk-1");
        return {
          nulParam: yield* post(api, { kind: "echo", params: { message: "a\u0000b" } }),
          surrogateKind: yield* post(api, '{"kind": "echo\\ud800"}'),
          nulKey: yield* post(api, { kind: "echo", params: { "m\u0000": "x" } }),
          nulQuery: yield* rawGet(api, "/agents?pool=a%00"),
          nulWorkQuery: yield* rawGet(api, "/work?agent=%00")
        };
      })
    );
    expect(seen.nulParam).toMatchObject({ status: 400, json: { error: "params.message: contains a NUL character (\\u0000), which cannot be stored" } });
    expect(seen.surrogateKind).toMatchObject({ status: 400, json: { error: "kind: contains an unpaired UTF-16 surrogate, which has no UTF-8 form" } });
    expect(seen.nulKey.status).toBe(400);
    expect(seen.nulQuery).toMatchObject({ status: 400, json: { error: "pool: contains a NUL character (\\u0000), which cannot be stored" } });
    expect(seen.nulWorkQuery).toMatchObject({ status: 400, json: { error: "agent: contains a NUL character (\\u0000), which cannot be stored" } });
  });

  it("refuses a body nested 30,000 deep (arrays) or 10,000 deep (objects; all that fits in 64 KiB) with a 400, not a 500", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        const deep = `{"kind": "echo", "params": ${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
        const deepObject = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
        return [yield* post(api, deep), yield* post(api, deepObject)];
      })
    );
    for (const reply of seen) {
      expect(reply).toMatchObject({ status: 400, json: { error: "the body nests arrays or objects deeper than 32 levels" } });
    }
  });

  it("lists work without each result's output; GET /work/:id keeps it", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        yield* online(api, "desk-1");
        const submitted = yield* post(api, { kind: "echo", params: { message: "hi" } });
        const workId = String(submitted.json["work_id"]);
        yield* api.work.recordResult({
          work_id: workId,
          agent_id: AgentId.make("desk-1"),
          status: "succeeded",
          exit_code: 0,
          output: "x".repeat(100_000),
          error: null,
          started_at: "2026-12-05T12:00:00Z",
          finished_at: "2026-12-05T12:00:01Z"
        });
        return { list: yield* getJson(api, "/work"), one: yield* getJson(api, `/work/${workId}`) };
      })
    );
    const [listed] = seen.list.json as Array<{ result: Record<string, unknown> }>;
    expect(listed?.result).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(listed?.result).not.toHaveProperty("output");
    expect((seen.one.json as { result: { output: string } }).result.output).toHaveLength(100_000);
  });
});

describe("HTTP: no client input yields a 5xx while the database is up", () => {
  const segment = fc.oneof(
    fc.constantFrom("agents", "work", "capacity", "metrics", "healthz", "readyz", "%00", "%FF", "%E0%A4%A", "..", "%2F", "a".repeat(200)),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
    fc.uuid()
  );
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join("/")}`);
  const query = fc.array(
    fc.tuple(
      fc.constantFrom("status", "pool", "agent", "limit", "min_vram_gb", "min_cores", "min_memory_gb", "gpu_type", "x"),
      fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("\u0000", "\ud800", "-1", "1e999", "9".repeat(400), "online", "nvidia"))
    ),
    { maxLength: 3 }
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.record({ kind: fc.oneof(fc.constant("echo"), fc.string()), params: fc.dictionary(fc.string(), fc.string()), requirements: fc.object() }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{"kind":"echo","timeout_seconds":1e999}', '{"kind":"echo","requirements":{"min_vram_gb":-1}}', "\u0000", "")
  );

  it("answers random paths, queries and bodies with a status below 500, every error with a JSON body (300 runs)", async () => {
    const bad: Array<string> = [];
    const failures = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        yield* online(api, "desk-1", { gpus: [12] });
        yield* api.ready;
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(path, query, fc.constantFrom("GET", "POST", "DELETE"), body, async (p, q, method, b) => {
              const search = new URLSearchParams(q).toString();
              const url = `${api.base}${p}${search === "" ? "" : `?${search}`}`;
              const response = await fetch(url, {
                method,
                ...(method === "POST" ? { body: b, headers: { "content-type": "application/json" } } : {})
              });
              const text = await response.text();
              // Every answer is below 500, and every error says what was wrong in JSON.
              const ok = response.status < 500 && (response.status < 400 || isJson(text));
              if (!ok) bad.push(`${method} ${p}?${search} -> ${response.status} ${text.slice(0, 300)}`);
              return ok;
            }),
            { numRuns: 300 }
          )
        );
        return bad;
      }).pipe(Effect.catchDefect((e) => Effect.succeed([String(e).split("\n")[0] ?? "", ...bad.slice(0, 3)])))
    );
    expect(failures).toEqual([]);
  });
});
