import { Effect, Predicate, Redacted, Result } from "effect";
import nodemailer from "nodemailer";
import { alertText } from "./alertText.ts";
import { type ChannelTarget, parseChannelTarget } from "./channelUrl.ts";
import type { AlertMessage, ChannelReply, ChannelSpec } from "./types.ts";

export { KNOWN_SCHEMES, parseChannelUrl } from "./channelUrl.ts";

/** How long a send may take, all of it (connect, answer, body), unless the caller says otherwise. */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;

const DETAIL_CHARS = 200;
const DISCORD_MAX_CHARS = 2000;
const USER_AGENT = "homelab-orchestrator-alerts";

type HttpTarget = Extract<ChannelTarget, { _tag: "Http" }>;
type SmtpTarget = Extract<ChannelTarget, { _tag: "Smtp" }>;

// Whatever comes back (a far end's page, a driver's message) may quote our
// own URL or token: every secret is replaced before the text is kept.
const scrub = (text: string, secrets: ReadonlyArray<string>): string =>
  [...secrets]
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length)
    .reduce((out, secret) => out.replaceAll(secret, "***"), text);

const reply = (ok: boolean, status: string, detail: string, secrets: ReadonlyArray<string>): ChannelReply => ({
  ok,
  status,
  detail: scrub(detail, secrets).replace(/\s+/g, " ").trim().slice(0, DETAIL_CHARS)
});

const seconds = (ms: number): string => `${ms / 1000} s`;

/** A header value fetch accepts: one line, and non-ASCII as an RFC 2047 word (ntfy decodes those). */
const headerText = (text: string): string => {
  const line = text.replace(/[\r\n]+/g, " ");
  return /^[\x20-\x7e]*$/.test(line) ? line : `=?UTF-8?B?${Buffer.from(line).toString("base64")}?=`;
};

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const requestFor = (target: HttpTarget, message: AlertMessage): { readonly headers: Record<string, string>; readonly body: string } => {
  const text = alertText(message);
  const json = { "content-type": "application/json" };
  switch (target.scheme) {
    case "generic":
      return { headers: json, body: JSON.stringify({ ...message, title: text.title, text: text.chat }) };
    case "ntfy":
      return {
        headers: {
          "content-type": "text/plain; charset=utf-8",
          title: headerText(text.title),
          tags: message.event === "opened" ? "warning" : message.event === "resolved" ? "white_check_mark" : "test",
          priority: message.event === "opened" ? "high" : "default"
        },
        body: text.body
      };
    case "discord":
      // No mentions: an agent named "@everyone" must not ping a whole server.
      return { headers: json, body: JSON.stringify({ content: clip(text.chat, DISCORD_MAX_CHARS), allowed_mentions: { parse: [] } }) };
    case "slack":
      return { headers: json, body: JSON.stringify({ text: text.chat }) };
    case "gotify":
      return { headers: json, body: JSON.stringify({ title: text.title, message: text.body, priority: message.event === "opened" ? 8 : 4 }) };
  }
};

/** The start of a response's body: enough for a detail line, without reading a large page whole. */
const bodyStart = async (response: Response): Promise<string> => {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Array<Uint8Array> = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= 4096) {
      await reader.cancel();
      break;
    }
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
};

const post = async (target: HttpTarget, message: AlertMessage, signal: AbortSignal) => {
  const { headers, body } = requestFor(target, message);
  const response = await fetch(target.url, {
    method: "POST",
    // A fresh connection each time: alerts are rare, and a pooled socket the far end dropped
    // meanwhile (it restarted) would fail as "closed" rather than say what is wrong now.
    headers: { "user-agent": USER_AGENT, connection: "close", ...target.headers, ...headers },
    body,
    signal,
    // A redirect would carry the alert (and an Authorization header) somewhere else: reported, not followed.
    redirect: "manual"
  });
  return { status: response.status, start: await bodyStart(response) };
};

const codeOf = (error: unknown): string | undefined => {
  const cause = Predicate.hasProperty(error, "cause") ? error.cause : undefined;
  for (const candidate of [cause, error]) {
    if (Predicate.hasProperty(candidate, "code") && typeof candidate.code === "string") return candidate.code;
    if (Predicate.hasProperty(candidate, "errors") && Array.isArray(candidate.errors)) {
      const inner = candidate.errors.map(codeOf).find((c) => c !== undefined);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
};

const messageOf = (error: unknown): string => {
  const cause = Predicate.hasProperty(error, "cause") ? error.cause : undefined;
  const texts = [cause, error].flatMap((e) => (Predicate.hasProperty(e, "message") && typeof e.message === "string" && e.message !== "" ? [e.message] : []));
  return texts[0] ?? String(error);
};

const WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/ECONNREFUSED/, "connection refused"],
  [/ENOTFOUND|EAI_AGAIN|EAI_NONAME|EDNS/, "host not found"],
  [/EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN/, "host unreachable"],
  [/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT/, "timed out"],
  [/ECONNRESET|EPIPE|UND_ERR_SOCKET|ECONNECTION/, "connection closed by the far end"],
  [/CERT|TLS|SSL/, "TLS failed"]
];

/** What went wrong before (or instead of) an answer, in words; the driver's own message as the detail. */
const failure = (error: unknown, timeoutMs: number, secrets: ReadonlyArray<string>): ChannelReply => {
  if (Predicate.hasProperty(error, "name") && error.name === "TimeoutError") {
    return reply(false, `timed out after ${seconds(timeoutMs)}`, "no answer in time", secrets);
  }
  const code = codeOf(error);
  const text = messageOf(error);
  const words = WORDS.find(([pattern]) => pattern.test(code ?? "") || pattern.test(text))?.[1];
  return reply(false, words ?? (code === undefined ? "request failed" : `request failed (${code})`), text, secrets);
};

const sendHttp = (target: HttpTarget, message: AlertMessage, timeoutMs: number, secrets: ReadonlyArray<string>) =>
  Effect.tryPromise({
    try: (interrupted) => post(target, message, AbortSignal.any([interrupted, AbortSignal.timeout(timeoutMs)])),
    catch: (error) => error
  }).pipe(
    Effect.match({
      onFailure: (error) => failure(error, timeoutMs, secrets),
      onSuccess: ({ status, start }) => {
        const redirected = status >= 300 && status < 400 && start.trim() === "";
        return reply(status >= 200 && status < 300, `HTTP ${status}`, redirected ? "redirected elsewhere (not followed): use the final URL" : start, secrets);
      }
    })
  );

const smtpReplyCode = (response: string): string => /^\d{3}/.exec(response)?.[0] ?? "250";

const mail = (target: SmtpTarget, message: AlertMessage, timeoutMs: number, signal: AbortSignal) => {
  const text = alertText(message);
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: target.secure,
    requireTLS: target.starttls === "yes",
    ignoreTLS: target.starttls === "no",
    ...(target.auth === undefined ? {} : { auth: { user: target.auth.user, pass: target.auth.pass } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false
  });
  return new Promise<{ readonly response: string; readonly rejected: number }>((resolve, reject) => {
    // nodemailer bounds each step; the signal bounds them all together (and interruption).
    const abort = (): void => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    transport
      .sendMail({
        from: target.from,
        to: [...target.to],
        subject: target.subjectPrefix === undefined ? message.summary : `${target.subjectPrefix} ${message.summary}`,
        text: text.body
      })
      .then((info) => resolve({ response: info.response, rejected: info.rejected.length }), reject)
      .finally(() => {
        signal.removeEventListener("abort", abort);
        transport.close();
      });
  });
};

const sendSmtp = (target: SmtpTarget, message: AlertMessage, timeoutMs: number, secrets: ReadonlyArray<string>) =>
  Effect.tryPromise({
    try: (interrupted) => mail(target, message, timeoutMs, AbortSignal.any([interrupted, AbortSignal.timeout(timeoutMs)])),
    catch: (error) => error
  }).pipe(
    Effect.match({
      onFailure: (error) => {
        const code = Predicate.hasProperty(error, "responseCode") && typeof error.responseCode === "number" ? error.responseCode : undefined;
        if (code !== undefined) {
          const response = Predicate.hasProperty(error, "response") && typeof error.response === "string" ? error.response : messageOf(error);
          return reply(false, `SMTP ${code}`, response, secrets);
        }
        if (codeOf(error) === "ETIMEDOUT") return reply(false, `timed out after ${seconds(timeoutMs)}`, messageOf(error), secrets);
        return failure(error, timeoutMs, secrets);
      },
      onSuccess: ({ response, rejected }) =>
        reply(true, `SMTP ${smtpReplyCode(response)}`, rejected === 0 ? response : `${response}; ${rejected} of ${target.to.length} recipients refused`, secrets)
    })
  );

/**
 * Sends one message to one channel. Never fails: a refused connection, a
 * timeout (default 10 s for the whole send) or an answer other than 2xx /
 * SMTP 250 is a reply with `ok: false` saying what happened. Logs nothing,
 * and no secret of the channel's URL reaches the reply.
 */
export const sendToChannel: (
  channel: ChannelSpec,
  message: AlertMessage,
  options?: { readonly timeoutMs?: number }
) => Effect.Effect<ChannelReply> = Effect.fn("Alerts.sendToChannel")(function* (channel, message, options) {
  const parsed = parseChannelTarget(Redacted.value(channel.url));
  // Parsed once already when the config was read; this is a ChannelSpec made by hand.
  if (Result.isFailure(parsed)) return { ok: false, status: "invalid channel URL", detail: parsed.failure };
  const timeoutMs = options?.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const { target, secrets } = parsed.success;
  return yield* target._tag === "Http" ? sendHttp(target, message, timeoutMs, secrets) : sendSmtp(target, message, timeoutMs, secrets);
});
