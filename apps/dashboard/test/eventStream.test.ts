import { type EventStream, startEventStream, type StreamStatus } from "../src/api/eventStream.ts";
import type { FetchLike } from "../src/api/http.ts";
import { createSession, TOKEN_KEY } from "../src/api/session.ts";
import type { SseFrame } from "../src/api/sseParser.ts";
import { memoryStorage } from "./memoryStorage.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A 200 text/event-stream answer that sends `chunks` and then ends (or stays open, like a quiet server). */
const streamAnswer = (chunks: ReadonlyArray<Uint8Array>, signal: AbortSignal | null | undefined, end = true): Response =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        if (end) controller.close();
        signal?.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
      }
    }),
    { status: 200, headers: { "content-type": "text/event-stream" } }
  );

interface Harness {
  readonly frames: SseFrame[];
  readonly statuses: Array<[StreamStatus, string | null]>;
  readonly delays: number[];
  readonly calls: Array<RequestInit | undefined>;
  readonly stream: EventStream;
}

/** Runs the stream until `stopAfterSleeps` reconnect waits have happened. */
const run = (answers: (attempt: number, init: RequestInit | undefined) => Promise<Response>, stopAfterSleeps: number, storage = memoryStorage(), idleTimeoutMs?: number): Harness => {
  const frames: SseFrame[] = [];
  const statuses: Array<[StreamStatus, string | null]> = [];
  const delays: number[] = [];
  const calls: Array<RequestInit | undefined> = [];
  const fetchFn: FetchLike = (_path, init) => {
    calls.push(init);
    return answers(calls.length - 1, init);
  };
  const stream: EventStream = startEventStream({
    fetch: fetchFn,
    session: createSession(storage),
    onFrames: (fs) => frames.push(...fs),
    onStatus: (s, d) => statuses.push([s, d]),
    sleep: (ms) => {
      delays.push(ms);
      if (delays.length >= stopAfterSleeps) stream.stop();
      return Promise.resolve();
    },
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs })
  });
  return { frames, statuses, delays, calls, stream };
};

describe("the /events reader", () => {
  test("asks for text/event-stream with the token, hands over each frame, and is live once the snapshot arrives", async () => {
    const h = run(
      (_n, init) => Promise.resolve(streamAnswer([bytes("event: snap"), bytes("shot\ndata: {}\n\n: keep-alive\n\nevent: agents\ndata: {}\n\n")], init?.signal)),
      1,
      memoryStorage({ [TOKEN_KEY]: "tok" })
    );
    await h.stream.done;
    const headers = new Headers(h.calls[0]?.headers);
    expect([headers.get("accept"), headers.get("authorization")]).toEqual(["text/event-stream", "Bearer tok"]);
    expect(h.frames.map((f) => f.event)).toEqual(["snapshot", "agents"]);
    expect(h.statuses.map(([s]) => s)).toEqual(["connecting", "live", "reconnecting"]);
    expect(h.statuses[2]?.[1]).toBe("the server ended the stream; trying again in 1 s");
  });

  test("reconnect waits double from 1 s and stop growing at 15 s", async () => {
    const h = run(() => Promise.reject(new TypeError("connection refused")), 7);
    await h.stream.done;
    expect(h.delays).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(h.statuses.slice(0, 2).map(([s]) => s)).toEqual(["connecting", "reconnecting"]);
  });

  test("a connection that delivered its snapshot starts the waits again from 1 s", async () => {
    const h = run((n, init) => (n === 2 ? Promise.resolve(streamAnswer([bytes("event: snapshot\ndata: {}\n\n")], init?.signal)) : Promise.reject(new TypeError("down"))), 4);
    await h.stream.done;
    expect(h.delays).toEqual([1000, 2000, 1000, 2000]);
  });

  test("an error status is retried like a failed connection", async () => {
    const h = run(() => Promise.resolve(new Response('{"error":"database unavailable"}', { status: 503 })), 2);
    await h.stream.done;
    expect(h.delays).toEqual([1000, 2000]);
    expect(h.statuses[1]).toEqual(["reconnecting", "HTTP 503; trying again in 1 s"]);
  });

  test("a 401 clears the token and waits for a new one; restart() then connects at once with it", async () => {
    const storage = memoryStorage({ [TOKEN_KEY]: "stale" });
    const session = createSession(storage);
    const calls: Array<RequestInit | undefined> = [];
    const statuses: StreamStatus[] = [];
    let stream: EventStream | undefined;
    stream = startEventStream({
      fetch: (_p, init) => {
        calls.push(init);
        if (calls.length === 1) return Promise.resolve(new Response('{"error":"bad token"}', { status: 401 }));
        stream?.stop();
        return Promise.resolve(streamAnswer([bytes("event: snapshot\ndata: {}\n\n")], init?.signal));
      },
      session,
      onFrames: () => undefined,
      onStatus: (s) => {
        statuses.push(s);
        if (s === "needs-token") {
          session.provideToken("fresh");
          stream?.restart();
        }
      },
      sleep: () => Promise.reject(new Error("no backoff wait expected"))
    });
    await stream.done;
    expect(statuses.slice(0, 3)).toEqual(["connecting", "needs-token", "reconnecting"]);
    expect(storage.data.get(TOKEN_KEY)).toBe("fresh");
    expect(new Headers(calls[1]?.headers).get("authorization")).toBe("Bearer fresh");
  });

  test("a connection silent for longer than the idle timeout is dropped and made again", async () => {
    const h = run((_n, init) => Promise.resolve(streamAnswer([], init?.signal, false)), 1, memoryStorage(), 20);
    await h.stream.done;
    expect(h.statuses[1]).toEqual(["reconnecting", "no data for too long; trying again in 1 s"]);
  });

  test("a character split across two network chunks is decoded whole", async () => {
    const raw = bytes("event: snapshot\ndata: GPU — 4090\n\n");
    const cut = raw.indexOf(0xe2) + 1; // inside the three bytes of "—"
    const h = run((_n, init) => Promise.resolve(streamAnswer([raw.slice(0, cut), raw.slice(cut)], init?.signal)), 1);
    await h.stream.done;
    expect(h.frames[0]?.data).toBe("GPU — 4090");
  });

  test("the frames completed by one read are handed over together, in order", async () => {
    const batches: string[][] = [];
    let stream: EventStream | undefined;
    stream = startEventStream({
      fetch: (_p, init) => Promise.resolve(streamAnswer([bytes("event: snapshot\ndata: {}\n\nevent: agents\ndata: 1\n\nevent: ag"), bytes("ents\ndata: 2\n\n")], init?.signal)),
      session: createSession(null),
      onFrames: (fs) => batches.push(fs.map((f) => `${f.event}:${f.data}`)),
      onStatus: () => undefined,
      sleep: () => (stream?.stop(), Promise.resolve())
    });
    await stream.done;
    expect(batches).toEqual([["snapshot:{}", "agents:1"], ["agents:2"]]);
  });
});
