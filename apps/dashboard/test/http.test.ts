import { decodeAgent } from "../src/api/decodeAgent.ts";
import { anything, createApi, errorText, type FetchLike } from "../src/api/http.ts";
import { createSession, TOKEN_KEY } from "../src/api/session.ts";
import { agentJson } from "./fixtures.ts";
import { memoryStorage } from "./memoryStorage.ts";

interface Call {
  readonly path: string;
  readonly init: RequestInit | undefined;
}

const fakeFetch = (answer: () => Response): { fetch: FetchLike; calls: Call[] } => {
  const calls: Call[] = [];
  return {
    calls,
    fetch: (path, init) => {
      calls.push({ path, init });
      return Promise.resolve(answer());
    }
  };
};
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const headerOf = (call: Call | undefined, name: string) => new Headers(call?.init?.headers).get(name);

describe("API requests and the token", () => {
  test("the stored token is sent as a bearer token", async () => {
    const f = fakeFetch(() => json({}));
    const api = createApi(f.fetch, createSession(memoryStorage({ [TOKEN_KEY]: "s3cret" })));
    await api.request("GET", "/capacity", anything);
    expect(headerOf(f.calls[0], "authorization")).toBe("Bearer s3cret");
  });

  test("without a token no Authorization header is sent", async () => {
    const f = fakeFetch(() => json({}));
    await createApi(f.fetch, createSession(memoryStorage())).request("GET", "/capacity", anything);
    expect(headerOf(f.calls[0], "authorization")).toBeNull();
  });

  test("a POST sends its body as JSON", async () => {
    const f = fakeFetch(() => json({}, 202));
    await createApi(f.fetch, createSession(null)).request("POST", "/work", anything, { kind: "shell", params: {} });
    expect(f.calls[0]?.init?.method).toBe("POST");
    expect(f.calls[0]?.init?.body).toBe('{"kind":"shell","params":{}}');
    expect(headerOf(f.calls[0], "content-type")).toBe("application/json");
  });

  test("a 401 forgets the stored token, asks for one, and returns the server's error text", async () => {
    const storage = memoryStorage({ [TOKEN_KEY]: "old" });
    const session = createSession(storage);
    const f = fakeFetch(() => json({ error: "missing or wrong bearer token" }, 401));
    const result = await createApi(f.fetch, session).request("POST", "/agents/a/drain", anything);
    expect(result).toEqual({ ok: false, status: 401, message: "missing or wrong bearer token" });
    expect(session.needsToken()).toBe(true);
    expect(session.token()).toBeNull();
    expect(storage.data.has(TOKEN_KEY)).toBe(false);
  });

  test("a token given after a 401 is stored under homelab.apiToken and used from then on", async () => {
    const storage = memoryStorage();
    const session = createSession(storage);
    session.unauthorized();
    session.provideToken("  new-token ");
    expect(session.needsToken()).toBe(false);
    expect(storage.data.get(TOKEN_KEY)).toBe("new-token");
    const f = fakeFetch(() => json({}));
    await createApi(f.fetch, session).request("GET", "/capacity", anything);
    expect(headerOf(f.calls[0], "authorization")).toBe("Bearer new-token");
  });

  test("a 403 or 409 shows the server's error text and does not ask for a token", async () => {
    const session = createSession(null);
    const f = fakeFetch(() => json({ error: "work w already ended succeeded; there is nothing to cancel" }, 409));
    const result = await createApi(f.fetch, session).request("DELETE", "/work/w", anything);
    expect(result).toEqual({ ok: false, status: 409, message: "work w already ended succeeded; there is nothing to cancel" });
    expect(session.needsToken()).toBe(false);
  });

  test("an error answer without a JSON error falls back to the status line", () => {
    expect(errorText(502, "Bad Gateway", undefined)).toBe("HTTP 502 Bad Gateway");
    expect(errorText(500, "", { error: 3 })).toBe("HTTP 500");
  });

  test("an answer that does not decode is an error naming the field, not a crash", async () => {
    const f = fakeFetch(() => json({ ...agentJson("a"), status: "weird" }));
    const result = await createApi(f.fetch, createSession(null)).request("GET", "/agents/a", decodeAgent);
    expect(result).toEqual({ ok: false, status: 200, message: "unexpected answer: status: expected one of online, offline" });
  });

  test("a network failure is an error the page can show", async () => {
    const failing: FetchLike = () => Promise.reject(new TypeError("Failed to fetch"));
    const result = await createApi(failing, createSession(null)).request("GET", "/capacity", anything);
    expect(result).toEqual({ ok: false, status: null, message: "cannot reach the orchestrator (Failed to fetch)" });
  });

  test("storage that throws leaves the token in memory only", () => {
    const throwing = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
      removeItem: () => {
        throw new Error("denied");
      }
    };
    const session = createSession(throwing);
    expect(session.token()).toBeNull();
    session.provideToken("t");
    expect(session.token()).toBe("t");
  });
});
