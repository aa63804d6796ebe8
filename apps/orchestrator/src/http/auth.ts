import { createHash, timingSafeEqual } from "node:crypto";
import { Context, Effect, Layer, Option, Redacted } from "effect";
import { HttpServerRequest } from "effect/http";
import { Unauthorized } from "./errors.ts";

/** Who may do what over HTTP (SPEC §3 `API_TOKEN`, `METRICS_TOKEN`, `HTTP_ALLOWED_HOSTS`). */
export interface HttpAccessShape {
  /** Set: every endpoint but /healthz, /readyz and /metrics needs it. Unset: the API is read-only except from loopback. */
  readonly apiToken: Option.Option<Redacted.Redacted<string>>;
  /** Set: /metrics needs it (a Prometheus with a bearer token). */
  readonly metricsToken: Option.Option<Redacted.Redacted<string>>;
  /** Set: a request whose Host is not one of these is refused (DNS rebinding). */
  readonly allowedHosts: Option.Option<ReadonlyArray<string>>;
}

export class HttpAccess extends Context.Service<HttpAccess, HttpAccessShape>()("@homelab/orchestrator/HttpAccess") {
  static readonly layer = (access: HttpAccessShape): Layer.Layer<HttpAccess> => Layer.succeed(HttpAccess, access);
  /** No token, no host list: loopback may change things, everyone may read. */
  static readonly open: HttpAccessShape = { apiToken: Option.none(), metricsToken: Option.none(), allowedHosts: Option.none() };
}

/** The one start-up line that says who may do what over HTTP. */
export const accessSummary = (access: HttpAccessShape): string =>
  [
    Option.isSome(access.apiToken)
      ? "API_TOKEN is set: every endpoint but /healthz, /readyz and /metrics needs it"
      : "no API_TOKEN: read-only for other machines, only this one (loopback) may submit work; set API_TOKEN to allow it from the LAN",
    Option.isSome(access.metricsToken) ? "/metrics needs METRICS_TOKEN" : "/metrics is open",
    Option.match(access.allowedHosts, {
      onNone: () => "any Host header (set HTTP_ALLOWED_HOSTS to refuse others)",
      onSome: (hosts) => `Host must be one of ${hosts.join(", ")}`
    })
  ].join("; ");

// Both sides hashed first: equal lengths for timingSafeEqual, and the time
// taken says nothing about the token's length or its first wrong byte.
const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
export const tokensEqual = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected));

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** 127.0.0.0/8, ::1, and IPv4 loopback written as an IPv6 address. */
export const isLoopback = (address: string): boolean =>
  address === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address);

const bearer = (name: string, token: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest;
    const header = request.headers["authorization"];
    if (header === undefined || header === "") {
      return yield* new Unauthorized({ message: `this endpoint needs Authorization: Bearer <${name}>` });
    }
    const match = BEARER.exec(header);
    if (match === null) return yield* new Unauthorized({ message: "the Authorization header is not of the form Bearer <token>" });
    if (!tokensEqual(match[1] ?? "", Redacted.value(token))) {
      return yield* new Unauthorized({ message: `the bearer token is not the ${name} this orchestrator was configured with` });
    }
  });

/**
 * For endpoints that change something (POST /work): with API_TOKEN set, its
 * bearer token; without one, only from this machine (loopback), so a first
 * run on a laptop is one command and a LAN is not open to anyone.
 */
export const requireToken: Effect.Effect<void, Unauthorized, HttpAccess | HttpServerRequest.HttpServerRequest> = Effect.gen(
  function* () {
    const { apiToken } = yield* HttpAccess;
    if (Option.isSome(apiToken)) return yield* bearer("API_TOKEN", apiToken.value);
    const request = yield* HttpServerRequest.HttpServerRequest;
    const from = Option.getOrElse(request.remoteAddress, () => "");
    if (isLoopback(from)) return;
    return yield* new Unauthorized({
      message: `no API_TOKEN is set, so only this machine may change anything (request from ${from || "an unknown address"}); set API_TOKEN and send it as Authorization: Bearer <API_TOKEN>`
    });
  }
);

/** For endpoints that only read (agents, capacity, work): with API_TOKEN set, its bearer token (job params and output are private). */
export const requireReadToken: Effect.Effect<void, Unauthorized, HttpAccess | HttpServerRequest.HttpServerRequest> = Effect.gen(
  function* () {
    const { apiToken } = yield* HttpAccess;
    if (Option.isSome(apiToken)) yield* bearer("API_TOKEN", apiToken.value);
  }
);

/** For /metrics: METRICS_TOKEN's bearer token when one is set. */
export const requireMetricsToken: Effect.Effect<void, Unauthorized, HttpAccess | HttpServerRequest.HttpServerRequest> = Effect.gen(
  function* () {
    const { metricsToken } = yield* HttpAccess;
    if (Option.isSome(metricsToken)) yield* bearer("METRICS_TOKEN", metricsToken.value);
  }
);

/** The host a Host header names, without its port, lower-case (`[::1]:8080` → `::1`). */
export const hostOf = (header: string): string => {
  const trimmed = header.trim().toLowerCase();
  if (trimmed.startsWith("[")) return trimmed.slice(1, trimmed.indexOf("]") > 0 ? trimmed.indexOf("]") : undefined);
  return trimmed.replace(/:\d*$/, "");
};
