import { decode, type Decoder, isRecord } from "./decodeKit.ts";
import { authHeaders, type Session } from "./session.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** An answer: the decoded body, or the text to show (the server's `error` when it sent one). */
export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly value: T }
  | { readonly ok: false; readonly status: number | null; readonly message: string };

export interface Api {
  request<T>(method: "GET" | "POST" | "DELETE", path: string, decoder: Decoder<T>, body?: unknown): Promise<ApiResult<T>>;
}

/** The text of an error answer: its JSON `error`, else the status line. */
export const errorText = (status: number, statusText: string, body: unknown): string =>
  isRecord(body) && typeof body["error"] === "string" && body["error"] !== ""
    ? body["error"]
    : `HTTP ${status}${statusText === "" ? "" : ` ${statusText}`}`;

const readJson = async (response: Response): Promise<unknown> => {
  const text = await response.text();
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Same-origin JSON API client: sends the token, turns 401 into the token form, decodes what comes back. */
export const createApi = (fetchFn: FetchLike, session: Session): Api => ({
  async request(method, path, decoder, body) {
    const headers: Record<string, string> = { Accept: "application/json", ...authHeaders(session.token()) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetchFn(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (e) {
      return { ok: false, status: null, message: `cannot reach the orchestrator (${e instanceof Error ? e.message : "network error"})` };
    }
    let json: unknown;
    try {
      json = await readJson(response);
    } catch {
      return { ok: false, status: response.status, message: "the answer was cut off" };
    }
    if (response.status === 401) session.unauthorized();
    if (!response.ok) return { ok: false, status: response.status, message: errorText(response.status, response.statusText, json) };
    if (json === undefined) return { ok: false, status: response.status, message: "the answer is not JSON" };
    const decoded = decode(decoder, json);
    return decoded.ok
      ? { ok: true, status: response.status, value: decoded.value }
      : { ok: false, status: response.status, message: `unexpected answer: ${decoded.error}` };
  }
});

/** For answers whose body the page does not read (drain, resume). */
export const anything: Decoder<unknown> = (value) => value;
