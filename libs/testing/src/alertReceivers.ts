import type { EventEmitter } from "node:events";
import http from "node:http";
import type net from "node:net";
import { Effect, type Scope } from "effect";
import { SMTPServer } from "smtp-server";

// Far ends for alert channels in tests: an HTTP receiver for the webhook
// schemes (generic, ntfy, Discord, Slack, gotify) and an SMTP sink for mail.
// Both record what arrives, on 127.0.0.1, and can be taken down and brought
// back on the same port.

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path with its query, as requested (`/homelab-alerts?x=1`). */
  readonly path: string;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Date.now() when the body had arrived. */
  readonly at: number;
}

/** How the receiver answers: a status and body, or never (`hang`, for timeouts; held until stop). */
export interface ReceiverAnswer {
  readonly status: number;
  readonly body?: string;
  readonly hang?: boolean;
}

export interface HttpReceiver {
  /** The port, the same across stop/start. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Every request recorded so far, across restarts, oldest first. */
  readonly requests: () => ReadonlyArray<ReceivedRequest>;
  /**
   * Sets the answer for paths starting with `pathPrefix` (the longest
   * matching prefix wins), or for every path when it is left out.
   */
  readonly answer: (answer: number | ReceiverAnswer, pathPrefix?: string) => void;
  /** Resolves with the requests once there are at least `count`; rejects after `timeoutMs` (default 5000) saying how many came. */
  readonly waitFor: (count: number, timeoutMs?: number) => Promise<ReadonlyArray<ReceivedRequest>>;
  /** Stops listening and drops every open connection (held ones too): connecting then is refused. Idempotent. */
  readonly stop: () => Promise<void>;
  /** Listens again on the same port. Idempotent. */
  readonly start: () => Promise<void>;
  readonly running: () => boolean;
}

/** Listens on 127.0.0.1 and resolves with the port; `events` is where the server reports a failed listen. */
const listen = (server: net.Server, events: EventEmitter, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    events.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      events.off("error", reject);
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error(`unexpected listening address ${String(address)}`));
      else resolve(address.port);
    });
  });

/** Waits until `count()` reaches `n`, polling every 10 ms (a receipt, with a deadline). */
const waitCount = async <A>(what: string, items: () => ReadonlyArray<A>, n: number, timeoutMs: number): Promise<ReadonlyArray<A>> => {
  const deadline = Date.now() + timeoutMs;
  while (items().length < n) {
    if (Date.now() > deadline) throw new Error(`${what}: expected ${n} within ${timeoutMs} ms, got ${items().length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return items();
};

/**
 * An HTTP server on 127.0.0.1 that records every request and answers 200 —
 * 204 under `/api/webhooks/`, as Discord does — unless told otherwise with
 * `answer`. `port` fixes the port (default: a free one).
 */
export const httpReceiver = async (options: { readonly port?: number } = {}): Promise<HttpReceiver> => {
  const recorded: Array<ReceivedRequest> = [];
  const answers = new Map<string, ReceiverAnswer>([
    ["", { status: 200 }],
    ["/api/webhooks/", { status: 204 }]
  ]);
  const answerFor = (path: string): ReceiverAnswer => {
    const prefix = [...answers.keys()].filter((p) => path.startsWith(p)).sort((a, b) => b.length - a.length)[0] ?? "";
    return answers.get(prefix) ?? { status: 200 };
  };

  const makeServer = (): http.Server =>
    http.createServer((request, response) => {
      const chunks: Array<Buffer> = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = request.url ?? "/";
        const headers = Object.fromEntries(
          Object.entries(request.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(", ") : v]]))
        );
        recorded.push({ method: request.method ?? "", path, headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
        const answer = answerFor(path);
        if (answer.hang === true) return;
        response.writeHead(answer.status, { "content-type": "text/plain; charset=utf-8" });
        response.end(answer.body ?? "");
      });
    });

  let server: http.Server | undefined = makeServer();
  const port = await listen(server, server, options.port ?? 0);

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests: () => [...recorded],
    answer: (answer, pathPrefix = "") => answers.set(pathPrefix, typeof answer === "number" ? { status: answer } : answer),
    waitFor: (count, timeoutMs = 5000) => waitCount("httpReceiver.waitFor", () => recorded, count, timeoutMs),
    stop: async () => {
      const current = server;
      if (current === undefined) return;
      server = undefined;
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
    },
    start: async () => {
      if (server !== undefined) return;
      const next = makeServer();
      await listen(next, next, port);
      server = next;
    },
    running: () => server !== undefined
  };
};

/** An {@link httpReceiver} for the life of the scope. */
export const scopedHttpReceiver = (options: { readonly port?: number } = {}): Effect.Effect<HttpReceiver, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => httpReceiver(options)),
    (receiver) => Effect.promise(() => receiver.stop())
  );

/** One mail as the sink received it. */
export interface ReceivedMail {
  /** The envelope's sender and recipients (MAIL FROM, RCPT TO). */
  readonly from: string;
  readonly to: ReadonlyArray<string>;
  /** The Subject header, decoded. */
  readonly subject: string;
  /** The body, decoded (quoted-printable, base64), line ends as \n. */
  readonly text: string;
  /** The user it logged in as; undefined without AUTH. */
  readonly user: string | undefined;
  readonly at: number;
}

export interface SmtpSink {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>`. */
  readonly url: string;
  readonly mails: () => ReadonlyArray<ReceivedMail>;
  /** Answers the next messages' DATA with this SMTP code (e.g. 550) until called with undefined. */
  readonly refuse: (responseCode: number | undefined) => void;
  readonly waitFor: (count: number, timeoutMs?: number) => Promise<ReadonlyArray<ReceivedMail>>;
  readonly stop: () => Promise<void>;
}

// Just enough MIME for what nodemailer writes: RFC 2047 words in headers,
// quoted-printable or base64 bodies, one text part.
const decodeWords = (value: string): string =>
  value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)?/g, (_, _charset: string, encoding: string, text: string) =>
    encoding.toUpperCase() === "B"
      ? Buffer.from(text, "base64").toString("utf8")
      : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8")
  );

const decodeBody = (body: string, encoding: string): string => {
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding !== "quoted-printable") return body;
  const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
};

export const parseMail = (raw: string): { readonly subject: string; readonly text: string } => {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split).replace(/^\r?\n\r?\n/, "");
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = (headers.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  return { subject: decodeWords(headers.get("subject") ?? ""), text: decodeBody(body, encoding).replace(/\r\n/g, "\n").replace(/\n$/, "") };
};

/**
 * An SMTP server on 127.0.0.1 (a free port) that accepts every mail, with or
 * without a login (any user and password), no TLS, and records each one.
 */
export const smtpSink = async (): Promise<SmtpSink> => {
  const received: Array<ReceivedMail> = [];
  let refusing: number | undefined;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onData: (stream, session, callback) => {
      const chunks: Array<Buffer> = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (refusing !== undefined) {
          return callback(Object.assign(new Error("refused by the test sink"), { responseCode: refusing }));
        }
        const { subject, text } = parseMail(Buffer.concat(chunks).toString("utf8"));
        const from = session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address;
        const user = typeof session.user === "string" ? session.user : undefined;
        received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), subject, text, user, at: Date.now() });
        callback(null, "OK: recorded");
      });
    }
  });
  const port = await listen(server.server, server, 0);
  // A client that drops its connection is reported as an error event; unheard, it would end the test process.
  server.on("error", () => undefined);
  let stopped = false;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails: () => [...received],
    refuse: (responseCode) => {
      refusing = responseCode;
    },
    waitFor: (count, timeoutMs = 5000) => waitCount("smtpSink.waitFor", () => received, count, timeoutMs),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
};

/** An {@link smtpSink} for the life of the scope. */
export const scopedSmtpSink = (): Effect.Effect<SmtpSink, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => smtpSink()),
    (sink) => Effect.promise(() => sink.stop())
  );
