import net from "node:net";
import { Redacted, Result } from "effect";
import { httpReceiver, type HttpReceiver, runLive, smtpSink, type SmtpSink } from "@homelab/testing";
import { alertText } from "../src/alerts/alertText.ts";
import { parseChannelTarget } from "../src/alerts/channelUrl.ts";
import { KNOWN_SCHEMES, parseChannelUrl, sendToChannel } from "../src/alerts/channels.ts";
import type { AlertMessage, ChannelSpec } from "../src/alerts/types.ts";

const opened: AlertMessage = {
  kind: "unreachable",
  event: "opened",
  alert_id: 7,
  agent_id: "gaming-pc",
  summary: "gaming-pc is unreachable: no heartbeat for over 90 s",
  detail: "last heartbeat 2026-03-01T01:58:30Z\nlast free VRAM 20.1 GiB",
  at: "2026-03-01T02:00:00.000Z",
  since: "2026-03-01T02:00:00.000Z",
  duration_seconds: null
};
const resolved: AlertMessage = {
  ...opened,
  event: "resolved",
  summary: "gaming-pc is back after 5 min",
  detail: "down from 02:00 to 02:05",
  at: "2026-03-01T02:05:00.000Z",
  duration_seconds: 300
};
const test: AlertMessage = { ...opened, kind: "test", event: "test", alert_id: null, agent_id: null, summary: "Test alert from the orchestrator", detail: "", since: null };

const channel = (url: string, name = "c"): ChannelSpec => {
  const parsed = parseChannelUrl(url, name);
  if (Result.isFailure(parsed)) throw new Error(`expected ${name} to parse: ${parsed.failure}`);
  return parsed.success;
};

const failureOf = (url: string): string => {
  const parsed = parseChannelUrl(url, "c");
  if (Result.isSuccess(parsed)) throw new Error("expected the URL to be refused");
  return parsed.failure;
};

const send = (spec: ChannelSpec, message: AlertMessage, timeoutMs?: number) =>
  runLive(sendToChannel(spec, message, timeoutMs === undefined ? {} : { timeoutMs }));

const json = (body: string): unknown => JSON.parse(body);

describe("channel URLs", () => {
  it.each([
    ["generic+https://user:hunter22@hooks.lan:8443/api/k3y9f8a7d6c5b4a3e2/abc?token=zzz999&sig", "generic", "generic+https://user:***@hooks.lan:8443/api/***/***?token=***&***", ["hunter22", "k3y9f8a7d6c5b4a3e2", "zzz999", "sig"]],
    ["ntfy://tk_AbCdEf123456@ntfy.sh/homelab-alerts", "ntfy", "ntfy://***@ntfy.sh/homelab-alerts", ["tk_AbCdEf123456"]],
    ["ntfy://alice:pa55word@ntfy.lan:8080/gpu?scheme=http", "ntfy", "ntfy://alice:***@ntfy.lan:8080/gpu?scheme=http", ["pa55word"]],
    ["discord://SeCrEtToKeN_abc@123456789012345678", "discord", "discord://***@***", ["SeCrEtToKeN_abc", "123456789012345678"]],
    ["discord+http://127.0.0.1:9999/api/webhooks/12345/ToKeN-xyz", "discord", "discord+http://127.0.0.1:9999/api/webhooks/***/***", ["12345", "ToKeN-xyz"]],
    ["slack://hook:T0000AAAA/B0000BBBB/XXXXsecretXXXX", "slack", "slack://hook:***", ["T0000AAAA", "B0000BBBB", "XXXXsecretXXXX"]],
    ["slack://hook:T0000AAAA-B0000BBBB-XXXXsecretXXXX@webhook", "slack", "slack://hook:***", ["XXXXsecretXXXX"]],
    ["slack+https://chat.lan/hooks/mmKey123secret", "slack", "slack+https://chat.lan/hooks/***", ["mmKey123secret"]],
    ["gotify://push.lan:8443/gotify/AbCdEfGhIjK.123?disabletls=yes", "gotify", "gotify://push.lan:8443/gotify/***?disabletls=yes", ["AbCdEfGhIjK.123"]],
    [
      "smtp://alerts%40lan:p%40ssw0rd@mail.lan:587/?from=fleet@lan&to=me@lan,you@lan&starttls=yes",
      "smtp",
      "smtp://alerts%40lan:***@mail.lan:587/?from=fleet@lan&to=me@lan,you@lan&starttls=yes",
      ["p%40ssw0rd", "p@ssw0rd"]
    ],
    ["smtps://mail.lan/?from=a@lan&to=b@lan", "smtp", "smtps://mail.lan:465/?from=a@lan&to=b@lan", []]
  ])("%s is a %s channel shown as %s, no secret in sight", (url, scheme, display, secrets) => {
    const spec = channel(url, "phone");
    expect(spec).toMatchObject({ name: "phone", scheme, display });
    expect(Redacted.value(spec.url)).toBe(url);
    const shown = `${spec.display} ${JSON.stringify(spec)} ${String(spec.url)}`;
    for (const secret of secrets) expect(shown).not.toContain(secret);
  });

  it("sends the short Discord and Slack forms to the services' own webhook addresses, and gotify and ntfy to https unless told", () => {
    const targetUrl = (url: string) => {
      const parsed = parseChannelTarget(url);
      if (Result.isFailure(parsed) || parsed.success.target._tag !== "Http") throw new Error(`expected an HTTP channel: ${url}`);
      return parsed.success.target.url;
    };
    expect(targetUrl("discord://tok_en@1234")).toBe("https://discord.com/api/webhooks/1234/tok_en");
    expect(targetUrl("slack://hook:T1/B2/XyZ")).toBe("https://hooks.slack.com/services/T1/B2/XyZ");
    expect(targetUrl("slack://hook:T1-B2-XyZ@webhook")).toBe("https://hooks.slack.com/services/T1/B2/XyZ");
    expect(targetUrl("gotify://push.lan/sub/Atoken")).toBe("https://push.lan/sub/message");
    expect(targetUrl("ntfy://ntfy.sh/alerts")).toBe("https://ntfy.sh/alerts");
    expect(targetUrl("ntfy://ntfy.lan:80/alerts?scheme=http")).toBe("http://ntfy.lan:80/alerts");
  });

  it.each([
    ["ftp://u:hunter22@host/x", `unknown scheme "ftp"; expected one of ${KNOWN_SCHEMES}`],
    ["hunter22@ntfy.sh/alerts", `not a channel URL; expected scheme://…, the scheme one of ${KNOWN_SCHEMES}`],
    ["ntfy://hunter22@ntfy.sh", "ntfy needs a topic: ntfy://[token@]host/topic"],
    ["ntfy://hunter22@ntfy.sh/alerts?schema=http", 'unknown parameter "schema"; ntfy takes scheme'],
    ["ntfy://hunter22@ntfy.sh/alerts?scheme=ftp", "scheme must be http or https"],
    ["discord://hunter22@not-digits", "the Discord webhook id must be digits"],
    ["discord://123456", "discord needs the form discord://token@webhook_id"],
    ["discord+https://proxy.lan/hooks/1/hunter22", "discord+https needs a path ending in /webhooks/<id>/<token>"],
    [
      "slack://xoxb-hunter22@channel",
      "slack needs the webhook form slack://hook:T…/B…/… (bot tokens are not supported; another Slack-compatible webhook is slack+https://host/path)"
    ],
    ["gotify://push.lan", "gotify needs the application token as the last part of the path: gotify://host[/path]/token"],
    ["gotify://push.lan/hunter22?disabletls=maybe", "disabletls must be yes or no"],
    ["smtp://u:hunter22@mail.lan:25/?to=b@lan", "smtp needs from=<address>"],
    ["smtp://u:hunter22@mail.lan:25/?from=a@lan", "smtp needs to=<address>[,<address>…]"],
    ["smtp://u:hunter22@mail.lan:25/?from=a@lan&to=b@lan,nobody", 'to: "nobody" is not an e-mail address'],
    ["smtp://hunter22@mail.lan/?from=a@lan&to=b@lan", "smtp needs both a user and a password, or neither: smtp://user:pass@host:port/…"],
    ["smtps://u:hunter22@mail.lan/?from=a@lan&to=b@lan&starttls=yes", 'unknown parameter "starttls"; smtps takes from, to, subject'],
    ["generic+http://u:hunter22@[bad/x", "generic+http: not a valid URL (check the host, the port and any special characters, which must be percent-encoded)"]
  ])("refuses %s saying what is wrong without quoting its secret", (url, message) => {
    const problem = failureOf(url);
    expect(problem).toBe(message);
    expect(problem).not.toContain("hunter22");
  });
});

describe("alert text", () => {
  it("marks an opening red, a recovery green and a test with a bell, each titled with its summary line", () => {
    expect(alertText(opened)).toEqual({
      title: "gaming-pc is unreachable: no heartbeat for over 90 s",
      body: "gaming-pc is unreachable: no heartbeat for over 90 s\nlast heartbeat 2026-03-01T01:58:30Z\nlast free VRAM 20.1 GiB",
      chat: "🔴 gaming-pc is unreachable: no heartbeat for over 90 s\nlast heartbeat 2026-03-01T01:58:30Z\nlast free VRAM 20.1 GiB"
    });
    expect(alertText(resolved)).toMatchObject({ title: "gaming-pc is back after 5 min", chat: "✅ gaming-pc is back after 5 min\ndown from 02:00 to 02:05" });
    expect(alertText(test)).toEqual({ title: "Test alert", body: "Test alert from the orchestrator", chat: "🔔 Test alert from the orchestrator" });
    expect(alertText({ ...opened, kind: "work_failed" }).chat.startsWith("❌")).toBe(true);
  });
});

describe("sending to each scheme", () => {
  let receiver: HttpReceiver;
  let sink: SmtpSink;
  beforeAll(async () => {
    receiver = await httpReceiver();
    sink = await smtpSink();
  });
  afterAll(async () => {
    await receiver.stop();
    await sink.stop();
  });
  const last = () => {
    const request = receiver.requests().at(-1);
    if (request === undefined) throw new Error("nothing arrived");
    return request;
  };
  const host = () => `127.0.0.1:${receiver.port}`;

  it("generic POSTs the alert's fields as JSON to the URL, with basic auth from its user and password", async () => {
    const reply = await send(channel(`generic+http://bot:hunter22@${host()}/hook/in?source=fleet`), opened);
    expect(reply).toEqual({ ok: true, status: "HTTP 200", detail: "" });
    const request = last();
    expect(request).toMatchObject({ method: "POST", path: "/hook/in?source=fleet" });
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["authorization"]).toBe(`Basic ${Buffer.from("bot:hunter22").toString("base64")}`);
    expect(json(request.body)).toEqual({ ...opened, title: opened.summary, text: alertText(opened).chat });
  });

  it("ntfy POSTs the text to the topic with title, tags, priority and the bearer token", async () => {
    expect((await send(channel(`ntfy://tk_hunter22@${host()}/homelab-alerts?scheme=http`), opened)).ok).toBe(true);
    expect(last()).toMatchObject({ method: "POST", path: "/homelab-alerts", body: alertText(opened).body });
    expect(last().headers).toMatchObject({ authorization: "Bearer tk_hunter22", title: opened.summary, tags: "warning", priority: "high" });
    await send(channel(`ntfy://alice:hunter22@${host()}/homelab-alerts?scheme=http`), resolved);
    expect(last().headers).toMatchObject({ authorization: `Basic ${Buffer.from("alice:hunter22").toString("base64")}`, tags: "white_check_mark", priority: "default" });
    await send(channel(`ntfy://${host()}/homelab-alerts?scheme=http`), { ...test, summary: "Prüfung" });
    expect(last().headers).toMatchObject({ title: "Test alert", tags: "test" });
    expect(last().headers["authorization"]).toBeUndefined();
  });

  it("ntfy sends a title that is not ASCII as an RFC 2047 word", async () => {
    await send(channel(`ntfy://${host()}/a?scheme=http`), { ...opened, agent_id: "küche", summary: "küche is unreachable" });
    expect(last().headers["title"]).toBe(`=?UTF-8?B?${Buffer.from("küche is unreachable").toString("base64")}?=`);
  });

  it("Discord gets { content } with mentions off, and its 204 counts as accepted", async () => {
    const reply = await send(channel(`discord+http://${host()}/api/webhooks/123/tok_en`), opened);
    expect(reply).toEqual({ ok: true, status: "HTTP 204", detail: "" });
    expect(last().path).toBe("/api/webhooks/123/tok_en");
    expect(json(last().body)).toEqual({ content: alertText(opened).chat, allowed_mentions: { parse: [] } });
  });

  it("Discord content is cut to 2000 characters", async () => {
    await send(channel(`discord+http://${host()}/api/webhooks/123/tok_en`), { ...opened, detail: "x".repeat(5000) });
    const body = json(last().body);
    expect(body).toMatchObject({ content: expect.stringMatching(/^🔴 gaming-pc.*x…$/s) });
    expect((body as { content: string }).content.length).toBe(2000);
  });

  it("Slack-compatible webhooks get { text }", async () => {
    await send(channel(`slack+http://${host()}/hooks/mmKey123`), resolved);
    expect(last()).toMatchObject({ method: "POST", path: "/hooks/mmKey123" });
    expect(json(last().body)).toEqual({ text: alertText(resolved).chat });
  });

  it("gotify POSTs title, message and priority to <path>/message with the app token in X-Gotify-Key", async () => {
    await send(channel(`gotify://${host()}/gotify/AppToken.1?disabletls=yes`), opened);
    expect(last()).toMatchObject({ method: "POST", path: "/gotify/message" });
    expect(last().headers["x-gotify-key"]).toBe("AppToken.1");
    expect(json(last().body)).toEqual({ title: opened.summary, message: alertText(opened).body, priority: 8 });
    await send(channel(`gotify://${host()}/gotify/AppToken.1?disabletls=yes`), resolved);
    expect(json(last().body)).toMatchObject({ priority: 4 });
  });

  it("smtp mails the summary as subject (after the subject= prefix) and the text as body, logging in with the URL's user", async () => {
    const url = `smtp://fleet:hunter22@127.0.0.1:${sink.port}/?from=fleet@lab.lan&to=me@lab.lan,you@lab.lan&subject=[lab]&starttls=no`;
    const reply = await send(channel(url), { ...opened, detail: "VRAM frei: 3 GiB — ok" });
    expect(reply).toEqual({ ok: true, status: "SMTP 250", detail: "250 OK: recorded" });
    expect(sink.mails().at(-1)).toMatchObject({
      from: "fleet@lab.lan",
      to: ["me@lab.lan", "you@lab.lan"],
      subject: `[lab] ${opened.summary}`,
      text: `${opened.summary}\nVRAM frei: 3 GiB — ok`,
      user: "fleet"
    });
  });

  it("smtp reports the server's refusal with its code", async () => {
    sink.refuse(550);
    try {
      const reply = await send(channel(`smtp://127.0.0.1:${sink.port}/?from=a@lab.lan&to=b@lab.lan`), opened);
      expect(reply).toEqual({ ok: false, status: "SMTP 550", detail: "550 refused by the test sink" });
    } finally {
      sink.refuse(undefined);
    }
  });

  it("a receiver that is down gives connection refused; back on the same port, it is accepted again", async () => {
    const spec = channel(`slack+http://${host()}/hooks/k`);
    await receiver.stop();
    const down = await send(spec, opened);
    expect(down).toMatchObject({ ok: false, status: "connection refused" });
    await receiver.start();
    expect(await send(spec, opened)).toMatchObject({ ok: true, status: "HTTP 200" });
  });

  it("an answer other than 2xx is a failure carrying the first 200 characters of the body, without our secrets", async () => {
    receiver.answer({ status: 500, body: `upstream broke for /hooks/hunter22tok ${"z".repeat(400)}` }, "/err");
    const reply = await send(channel(`generic+http://${host()}/err/hunter22tok`), opened);
    expect(reply.ok).toBe(false);
    expect(reply.status).toBe("HTTP 500");
    expect(reply.detail).toBe(`upstream broke for /hooks/*** ${"z".repeat(400)}`.slice(0, 200));
    expect(reply.detail).not.toContain("hunter22");
  });

  it("a redirect is not followed: it is a failure that says so", async () => {
    receiver.answer({ status: 301 }, "/moved");
    expect(await send(channel(`generic+http://${host()}/moved`), opened)).toEqual({
      ok: false,
      status: "HTTP 301",
      detail: "redirected elsewhere (not followed): use the final URL"
    });
  });

  it("a far end that never answers times out after the given time", async () => {
    receiver.answer({ status: 200, hang: true }, "/slow");
    const started = Date.now();
    const reply = await send(channel(`generic+http://${host()}/slow`), opened, 300);
    expect(reply).toEqual({ ok: false, status: "timed out after 0.3 s", detail: "no answer in time" });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("smtp to a port nobody listens on is connection refused, and a server that never greets times out", async () => {
    const closed = await smtpSink();
    await closed.stop();
    expect(await send(channel(`smtp://127.0.0.1:${closed.port}/?from=a@lab.lan&to=b@lab.lan`), opened)).toMatchObject({
      ok: false,
      status: "connection refused"
    });
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const started = Date.now();
      const reply = await send(channel(`smtp://127.0.0.1:${port}/?from=a@lab.lan&to=b@lab.lan`), opened, 300);
      expect(reply).toMatchObject({ ok: false, status: "timed out after 0.3 s" });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
