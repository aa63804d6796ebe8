// GET /events (the dashboard's live feed) and GET /agents/:id/history over
// the real PostgreSQL and RabbitMQ.
import { Effect, Exit, Scope } from "effect";
import { runLive } from "@homelab/testing";
import { getJson, online, post, startWorkApi } from "./support/workApi.ts";

interface Frame {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Reads a response body's Server-Sent Event frames, keeping every frame read so far. */
const frameReader = (body: ReadableStream<Uint8Array>) => {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const frames: Array<Frame> = [];
  let text = "";
  return {
    frames,
    /** Reads until `done` holds for the frames read so far, or `ms` pass. */
    until: async (done: (frames: ReadonlyArray<Frame>) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!done(frames) && Date.now() < deadline) {
        const chunk = await Promise.race([reader.read(), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), deadline - Date.now()))]);
        if (chunk === undefined || chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = text.indexOf("\n\n")) !== -1) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) frames.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
      return frames;
    },
    close: () => reader.cancel()
  };
};

const postTo = (api: { readonly base: string }, path: string) =>
  Effect.promise(async () => (await fetch(`${api.base}${path}`, { method: "POST" })).status);

const agentIds = (frame: Frame | undefined) => ((frame?.data["agents"] ?? []) as ReadonlyArray<{ agent_id: string }>).map((a) => a.agent_id);

describe("GET /events (the dashboard's live feed)", () => {
  it("sends a snapshot first, then a batch with each agent whose heartbeat was applied or that was drained, and counts the page until it goes", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        yield* online(api, "live-a", { gpus: [20] });
        const response = yield* Effect.promise(() => fetch(`${api.base}/events`, { headers: { accept: "text/event-stream" } }));
        const contentType = response.headers.get("content-type");
        const body = response.body;
        if (body === null) return yield* Effect.die("no body");
        const feed = frameReader(body);
        yield* Effect.promise(() => feed.until((f) => f.length >= 1, 5000));
        const first = feed.frames[0];
        const pagesWhileOpen = yield* api.live.pages;
        yield* online(api, "live-b");
        yield* Effect.promise(() => feed.until((f) => f.some((x) => x.event === "agents" && agentIds(x).includes("live-b")), 5000));
        const afterHeartbeat = [...feed.frames];
        const drainStatus = yield* postTo(api, "/agents/live-a/drain");
        yield* Effect.promise(() =>
          feed.until((f) => f.slice(afterHeartbeat.length).some((x) => x.event === "agents" && agentIds(x).includes("live-a")), 5000)
        );
        const afterDrain = feed.frames.slice(afterHeartbeat.length);
        yield* Effect.promise(() => feed.close());
        // The server sees the page go: the count falls back to 0.
        let pagesAfter = -1;
        for (let i = 0; i < 50 && pagesAfter !== 0; i++) {
          yield* Effect.sleep("100 millis");
          pagesAfter = yield* api.live.pages;
        }
        return { contentType, first, pagesWhileOpen, afterHeartbeat, drainStatus, afterDrain, pagesAfter };
      })
    );
    expect(seen.contentType).toMatch(/^text\/event-stream/);
    expect(seen.first?.event).toBe("snapshot");
    expect(agentIds(seen.first)).toContain("live-a");
    expect(seen.first?.data).toMatchObject({ heartbeat_timeout_seconds: 90, bookings: [], work: { active: [], queued: [], finished: [] } });
    expect(seen.pagesWhileOpen).toBe(1);
    expect(seen.drainStatus).toBe(200);
    const agentsFrame = seen.afterHeartbeat.find((f) => f.event === "agents" && agentIds(f).includes("live-b"));
    expect(agentsFrame?.data["now"]).toMatch(/Z$/);
    const drained = seen.afterDrain.flatMap((f) => (f.event === "agents" ? (f.data["agents"] as ReadonlyArray<{ agent_id: string; drained: boolean; draining: boolean }>) : []));
    expect(drained.find((a) => a.agent_id === "live-a")).toMatchObject({ drained: true, draining: true });
    expect(seen.pagesAfter).toBe(0);
  });

  it("sends a work batch when a job is queued: the job, the queue head with its waiting reason, and the bookings", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        yield* online(api, "live-w", { gpus: [4] });
        const response = yield* Effect.promise(() => fetch(`${api.base}/events`));
        const body = response.body;
        if (body === null) return yield* Effect.die("no body");
        const feed = frameReader(body);
        yield* Effect.promise(() => feed.until((f) => f.length >= 1, 5000));
        const submitted = yield* post(api, { kind: "echo", params: {}, requirements: { min_vram_gb: 8 } });
        const frames = yield* Effect.promise(() => feed.until((f) => f.some((x) => x.event === "work"), 5000));
        yield* Effect.promise(() => feed.close());
        return { submitted, work: frames.find((f) => f.event === "work") };
      })
    );
    expect(seen.submitted.status).toBe(202);
    const workId = (seen.submitted.json as { work_id: string }).work_id;
    expect((seen.work?.data["work"] as ReadonlyArray<{ work_id: string; state: string }>).map((w) => [w.work_id, w.state])).toEqual([[workId, "queued"]]);
    const queued = seen.work?.data["queued"] as ReadonlyArray<{ work_id: string; position: number; waiting_reason: string }>;
    expect(queued.map((q) => [q.work_id, q.position])).toEqual([[workId, 1]]);
    expect(queued[0]?.waiting_reason).toContain("live-w");
    expect(seen.work?.data["bookings"]).toEqual([]);
    expect(seen.work?.data["queued_total"]).toBe(1);
  });

  it("ends every page's feed when the server stops, so stopping does not wait on open pages", async () => {
    const seen = await runLive(
      Effect.gen(function* () {
        const scope = yield* Scope.make();
        const api = yield* startWorkApi().pipe(Scope.provide(scope));
        const response = yield* Effect.promise(() => fetch(`${api.base}/events`));
        const body = response.body;
        if (body === null) return yield* Effect.die("no body");
        const feed = frameReader(body);
        yield* Effect.promise(() => feed.until((f) => f.length >= 1, 5000));
        const started = Date.now();
        yield* Scope.close(scope, Exit.void);
        const stopMs = Date.now() - started;
        // The page sees its feed end (and would reconnect to another orchestrator, or wait).
        const ended = yield* Effect.promise(() => feed.until(() => false, 2000).then(() => "read to the end", (e: unknown) => `failed: ${String(e)}`));
        return { stopMs, ended };
      })
    );
    expect(seen.stopMs).toBeLessThan(5000);
    expect(seen.ended).toMatch(/read to the end|failed/);
  });
});

describe("GET /agents/:id/history", () => {
  it("answers the agent's per-minute samples, by default the last 24 hours", async () => {
    const answer = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        yield* online(api, "hist-api", { gpus: [20] });
        return yield* getJson(api, "/agents/hist-api/history");
      })
    );
    expect(answer.status).toBe(200);
    const body = answer.json as { agent_id: string; since: string; until: string; points: ReadonlyArray<{ at: string; gpus: ReadonlyArray<{ vram_available_gb: number }> }> };
    expect(body.agent_id).toBe("hist-api");
    expect(Date.parse(body.until) - Date.parse(body.since)).toBe(24 * 3600_000);
    expect(body.points).toHaveLength(1);
    expect(body.points[0]?.gpus[0]?.vram_available_gb).toBe(20);
  });

  it("refuses a range that is backwards, too long, not ISO times, in year 0000 or with a NUL, and an unknown agent, saying why", async () => {
    const answers = await runLive(
      Effect.gen(function* () {
        const api = yield* startWorkApi();
        yield* online(api, "hist-bad");
        return [
          yield* getJson(api, "/agents/hist-bad/history?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z"),
          yield* getJson(api, "/agents/hist-bad/history?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z"),
          yield* getJson(api, "/agents/hist-bad/history?since=yesterday"),
          yield* getJson(api, "/agents/hist-bad/history?since=0000-01-01T00:00:00Z"),
          yield* getJson(api, "/agents/hist-bad/history?until=2026-01-01T00:00:00Z%00"),
          yield* getJson(api, "/agents/nobody/history")
        ].map((a) => [a.status, (a.json as { error: string }).error]);
      })
    );
    expect(answers[0]).toEqual([400, expect.stringContaining("must be before until")]);
    expect(answers[1]).toEqual([400, expect.stringContaining("more than 366 days")]);
    expect(answers[2]).toEqual([400, expect.stringContaining("since")]);
    expect(answers[3]).toEqual([400, expect.stringContaining("between 1970 and 9999")]);
    expect(answers[4]).toEqual([400, expect.stringContaining("until")]);
    expect(answers[5]).toEqual([404, 'agent "nobody" is not registered']);
  });
});
