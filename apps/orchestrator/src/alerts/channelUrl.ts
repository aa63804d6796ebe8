import { Redacted, Result } from "effect";
import type { ChannelScheme, ChannelSpec } from "./types.ts";

// Channel URLs in the style of Shoutrrr. A URL is parsed twice: once when the
// config is read (to refuse it early and to build its `display`), and again
// at each send from the Redacted URL, so no parsed secret is kept in memory
// beside the ChannelSpec. Error texts never quote the URL: at most a scheme,
// a parameter's name or an e-mail address.

/** Where and how a channel delivers; holds secrets, never logged. */
export type ChannelTarget =
  | {
      readonly _tag: "Http";
      readonly scheme: Exclude<ChannelScheme, "smtp">;
      /** The http(s) URL to POST to, without credentials (fetch refuses them). */
      readonly url: string;
      /** Headers the URL implies: Authorization, X-Gotify-Key. */
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly _tag: "Smtp";
      readonly host: string;
      readonly port: number;
      /** smtps: TLS from the first byte. */
      readonly secure: boolean;
      readonly starttls: "yes" | "no" | undefined;
      readonly auth: { readonly user: string; readonly pass: string } | undefined;
      readonly from: string;
      readonly to: ReadonlyArray<string>;
      /** Put before each subject (the alert's summary). */
      readonly subjectPrefix: string | undefined;
    };

export interface ParsedChannel {
  readonly scheme: ChannelScheme;
  readonly display: string;
  readonly target: ChannelTarget;
  /** Every secret of the URL (as written and decoded), to scrub from whatever a far end or a driver says. */
  readonly secrets: ReadonlyArray<string>;
}

/** The schemes a channel URL may use, as error messages list them. */
export const KNOWN_SCHEMES =
  "generic+http, generic+https, ntfy, discord, discord+http, discord+https, slack, slack+http, slack+https, gotify, smtp, smtps";

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const TOKEN = /^[A-Za-z0-9._~-]+$/;
const ADDRESS = /^[^\s@,<>;"]+@[^\s@,<>;"]+$/;

type Parsed = Result.Result<ParsedChannel, string>;

const decode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

const quoted = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 39)}…` : text);

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

const segmentsOf = (pathname: string): Array<string> => pathname.split("/").filter((s) => s !== "");

/** The URL's query, or the first parameter not in `known`. */
const queryOf = (url: URL, known: ReadonlyArray<string>, scheme: string): Result.Result<URLSearchParams, string> => {
  const unknown = [...url.searchParams.keys()].find((key) => !known.includes(key));
  if (unknown === undefined) return Result.succeed(url.searchParams);
  return Result.fail(
    known.length === 0 ? `${scheme} takes no parameters (${quoted(unknown)})` : `unknown parameter ${quoted(unknown)}; ${scheme} takes ${known.join(", ")}`
  );
};

const yesNo = (params: URLSearchParams, key: string): Result.Result<"yes" | "no" | undefined, string> => {
  const value = params.get(key)?.toLowerCase();
  if (value === undefined) return Result.succeed(undefined);
  return value === "yes" || value === "no" ? Result.succeed(value) : Result.fail(`${key} must be yes or no`);
};

// A long run of letters mixed with digits in a path is taken for a key.
const tokenLike = (segment: string): boolean => segment.length >= 16 && /\d/.test(segment) && /[A-Za-z]/.test(segment);

/** A webhook path as shown: its first segment (unless it looks like a key), every later one `***`. */
const maskedPath = (pathname: string, secrets: Array<string>): string =>
  segmentsOf(pathname)
    .map((segment, i) => {
      if (i === 0 && !tokenLike(segment)) return `/${segment}`;
      secrets.push(segment);
      return "/***";
    })
    .join("");

/** A query as shown: keys kept, values `***` (a key with no value is hidden itself). */
const maskedQuery = (params: URLSearchParams, secrets: Array<string>): string => {
  const parts = [...params].map(([key, value]) => {
    secrets.push(value === "" ? key : value);
    return value === "" ? "***" : `${encodeURIComponent(key)}=***`;
  });
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
};

const needHost = (url: URL, scheme: string): Result.Result<URL, string> =>
  url.hostname === "" ? Result.fail(`${scheme} needs a host`) : Result.succeed(url);

/** Userinfo as a header: user:pass is basic auth; a lone user is a bearer token when `lone` says so. */
const userinfo = (url: URL, secrets: Array<string>, lone: "bearer" | "basic") => {
  const user = decode(url.username);
  const pass = decode(url.password);
  if (user === undefined || pass === undefined) return Result.fail("the user or password is not valid percent-encoding");
  if (url.password !== "") {
    secrets.push(url.password, pass);
    return Result.succeed({ header: basic(user, pass), display: `${url.username}:***@` });
  }
  if (url.username === "") return Result.succeed({ header: undefined, display: "" });
  secrets.push(url.username, user);
  return Result.succeed({ header: lone === "bearer" ? `Bearer ${user}` : basic(user, ""), display: "***@" });
};

const http = (scheme: Exclude<ChannelScheme, "smtp">, url: string, headers: Record<string, string | undefined>) => {
  const set = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
  return { _tag: "Http" as const, scheme, url, headers: set };
};

const webhook = (url: URL, scheme: "generic" | "slack", written: string): Parsed =>
  Result.gen(function* () {
    yield* needHost(url, written);
    const secrets: Array<string> = [];
    const auth = yield* userinfo(url, secrets, "basic");
    const proto = written.endsWith("+https") ? "https:" : "http:";
    const display = `${written}://${auth.display}${url.host}${maskedPath(url.pathname, secrets)}${maskedQuery(url.searchParams, secrets)}`;
    const target = http(scheme, `${proto}//${url.host}${url.pathname || "/"}${url.search}`, { authorization: auth.header });
    return { scheme, display, target, secrets };
  });

const ntfy = (url: URL): Parsed =>
  Result.gen(function* () {
    yield* needHost(url, "ntfy");
    const secrets: Array<string> = [];
    const auth = yield* userinfo(url, secrets, "bearer");
    const topic = segmentsOf(url.pathname).at(-1);
    if (topic === undefined) return yield* Result.fail("ntfy needs a topic: ntfy://[token@]host/topic");
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(topic)) return yield* Result.fail("the ntfy topic may hold only letters, digits, - and _ (at most 64)");
    const params = yield* queryOf(url, ["scheme"], "ntfy");
    const scheme = params.get("scheme")?.toLowerCase() ?? "https";
    if (scheme !== "http" && scheme !== "https") return yield* Result.fail("scheme must be http or https");
    const display = `ntfy://${auth.display}${url.host}${url.pathname}${url.search}`;
    return { scheme: "ntfy", display, target: http("ntfy", `${scheme}://${url.host}${url.pathname}`, { authorization: auth.header }), secrets };
  });

const discordId = (id: string, token: string): Result.Result<void, string> => {
  if (!/^\d+$/.test(id)) return Result.fail("the Discord webhook id must be digits");
  return TOKEN.test(token) ? Result.succeed(undefined) : Result.fail("the Discord webhook token may hold only letters, digits, -, _, . and ~");
};

const discord = (url: URL): Parsed =>
  Result.gen(function* () {
    if (url.username === "" || url.hostname === "" || url.password !== "" || segmentsOf(url.pathname).length > 0) {
      return yield* Result.fail("discord needs the form discord://token@webhook_id");
    }
    yield* queryOf(url, [], "discord");
    yield* discordId(url.hostname, url.username);
    const target = http("discord", `https://discord.com/api/webhooks/${url.hostname}/${url.username}`, {});
    return { scheme: "discord", display: "discord://***@***", target, secrets: [url.hostname, url.username] };
  });

const discordAt = (url: URL, written: string): Parsed =>
  Result.gen(function* () {
    yield* needHost(url, written);
    if (url.username !== "" || url.password !== "") return yield* Result.fail(`${written} takes no user or password`);
    const segments = segmentsOf(url.pathname);
    const [hook, id, token] = segments.slice(-3);
    if (hook !== "webhooks" || id === undefined || token === undefined) {
      return yield* Result.fail(`${written} needs a path ending in /webhooks/<id>/<token>`);
    }
    yield* discordId(id, token);
    const secrets = [id, token];
    const prefix = segments.slice(0, -2).map((s) => `/${s}`).join("");
    const display = `${written}://${url.host}${prefix}/***/***${maskedQuery(url.searchParams, secrets)}`;
    const proto = written.endsWith("+https") ? "https:" : "http:";
    return { scheme: "discord", display, target: http("discord", `${proto}//${url.host}${url.pathname}${url.search}`, {}), secrets };
  });

// Shoutrrr's webhook forms: slack://hook:T/B/X (as the brief spells it),
// slack://hook:T-B-X@webhook (Shoutrrr's own) and slack://T/B/X (its older one).
const SLACK_FORMS = [/^hook:([^/@?#]+)\/([^/@?#]+)\/([^/@?#]+)\/?$/, /^hook:([^-/@?#]+)-([^-/@?#]+)-([^/@?#]+)@webhook\/?$/, /^([^/@:?#]+)\/([^/@:?#]+)\/([^/@:?#]+)\/?$/];

const slack = (text: string): Parsed => {
  const rest = text.slice("slack://".length);
  const parts = SLACK_FORMS.map((form) => form.exec(rest)).find((m) => m !== null)?.slice(1);
  if (parts === undefined || !parts.every((p) => /^[A-Za-z0-9]+$/.test(p))) {
    return Result.fail(
      "slack needs the webhook form slack://hook:T…/B…/… (bot tokens are not supported; another Slack-compatible webhook is slack+https://host/path)"
    );
  }
  const target = http("slack", `https://hooks.slack.com/services/${parts.join("/")}`, {});
  return Result.succeed({ scheme: "slack", display: "slack://hook:***", target, secrets: [...parts, parts.join("/")] });
};

const gotify = (url: URL): Parsed =>
  Result.gen(function* () {
    yield* needHost(url, "gotify");
    if (url.username !== "" || url.password !== "") return yield* Result.fail("gotify takes no user or password; the application token is the last part of the path");
    const segments = segmentsOf(url.pathname);
    const token = segments.at(-1);
    if (token === undefined) return yield* Result.fail("gotify needs the application token as the last part of the path: gotify://host[/path]/token");
    if (!TOKEN.test(token)) return yield* Result.fail("the gotify application token may hold only letters, digits, -, _, . and ~");
    const params = yield* queryOf(url, ["disabletls"], "gotify");
    const plain = yield* yesNo(params, "disabletls");
    const prefix = segments.slice(0, -1).map((s) => `/${s}`).join("");
    const proto = plain === "yes" ? "http:" : "https:";
    const target = http("gotify", `${proto}//${url.host}${prefix}/message`, { "x-gotify-key": token });
    return { scheme: "gotify", display: `gotify://${url.host}${prefix}/***${url.search}`, target, secrets: [token] };
  });

const smtp = (url: URL, written: "smtp" | "smtps"): Parsed =>
  Result.gen(function* () {
    yield* needHost(url, written);
    const user = decode(url.username);
    const pass = decode(url.password);
    if (user === undefined || pass === undefined) return yield* Result.fail("the user or password is not valid percent-encoding");
    if ((user === "") !== (pass === "")) return yield* Result.fail(`${written} needs both a user and a password, or neither: ${written}://user:pass@host:port/…`);
    if (segmentsOf(url.pathname).length > 0) return yield* Result.fail(`${written} takes no path; from= and to= go in the query`);
    const params = yield* queryOf(url, written === "smtp" ? ["from", "to", "starttls", "subject"] : ["from", "to", "subject"], written);
    const from = params.get("from") ?? "";
    if (!ADDRESS.test(from)) return yield* Result.fail(from === "" ? `${written} needs from=<address>` : `from: ${quoted(from)} is not an e-mail address`);
    const to = (params.get("to") ?? "").split(",").map((a) => a.trim()).filter((a) => a !== "");
    if (to.length === 0) return yield* Result.fail(`${written} needs to=<address>[,<address>…]`);
    const wrong = to.find((a) => !ADDRESS.test(a));
    if (wrong !== undefined) return yield* Result.fail(`to: ${quoted(wrong)} is not an e-mail address`);
    const starttls = yield* yesNo(params, "starttls");
    const port = url.port === "" ? (written === "smtps" ? 465 : 25) : Number(url.port);
    const secrets = pass === "" ? [] : [url.password, pass];
    const display = `${written}://${user === "" ? "" : `${url.username}:***@`}${url.hostname}:${port}/${url.search}`;
    const subject = params.get("subject")?.trim();
    const target = {
      _tag: "Smtp" as const,
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port,
      secure: written === "smtps",
      starttls,
      auth: user === "" ? undefined : { user, pass },
      from,
      to,
      subjectPrefix: subject === "" ? undefined : subject
    };
    return { scheme: "smtp", display, target, secrets };
  });

/** Parses a channel URL into where it delivers, what may be shown of it, and its secrets; the error never quotes a secret. */
export const parseChannelTarget = (text: string): Parsed => {
  const trimmed = text.trim();
  const written = SCHEME.exec(trimmed)?.[1]?.toLowerCase();
  if (written === undefined) return Result.fail(`not a channel URL; expected scheme://…, the scheme one of ${KNOWN_SCHEMES}`);
  if (written === "slack") return slack(trimmed);
  if (!URL.canParse(trimmed)) return Result.fail(`${written}: not a valid URL (check the host, the port and any special characters, which must be percent-encoded)`);
  const url = new URL(trimmed);
  switch (written) {
    case "generic+http":
    case "generic+https":
      return webhook(url, "generic", written);
    case "slack+http":
    case "slack+https":
      return webhook(url, "slack", written);
    case "ntfy":
      return ntfy(url);
    case "discord":
      return discord(url);
    case "discord+http":
    case "discord+https":
      return discordAt(url, written);
    case "gotify":
      return gotify(url);
    case "smtp":
    case "smtps":
      return smtp(url, written);
    default:
      return Result.fail(`unknown scheme ${/^[a-z0-9+.-]{1,24}$/.test(written) ? quoted(written) : "(not shown)"}; expected one of ${KNOWN_SCHEMES}`);
  }
};

/** A configured channel from its URL and name; the error says what is wrong in words, never quoting a secret. */
export const parseChannelUrl = (url: string, name: string): Result.Result<ChannelSpec, string> =>
  Result.map(parseChannelTarget(url), (parsed) => ({ name, scheme: parsed.scheme, display: parsed.display, url: Redacted.make(url.trim()) }));
