import type { ConnectionOptions as TlsOptions } from "node:tls";
import { Effect, Redacted, Schema } from "effect";

// Where both apps connect: the AMQP URL and, for amqps://, the TLS material
// (SPEC §3 amqp_ca_file / amqp_cert_file / amqp_key_file). The server's
// certificate is always verified (Node's default): a CA file adds a trusted
// root, it never turns verification off.

/** The TLS settings as both apps' config files spell them (each an optional path to a PEM file). */
export const AMQP_TLS_FIELDS = {
  amqp_ca_file: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  amqp_cert_file: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  amqp_key_file: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1)))
};

/** What each TLS setting expects, for the config's one-line errors. */
export const AMQP_TLS_DOC = {
  amqp_ca_file: { expected: "a path to the PEM file of the CA that signed the broker's certificate" },
  amqp_cert_file: { expected: "a path to this client's PEM certificate (with amqp_key_file)" },
  amqp_key_file: { expected: "a path to the PEM private key of amqp_cert_file" }
} as const;

/** How env overrides read the TLS settings (AMQP_CA_FILE, AMQP_CERT_FILE, AMQP_KEY_FILE). */
export const AMQP_TLS_ENV = { amqp_ca_file: "string", amqp_cert_file: "string", amqp_key_file: "string" } as const;

export interface AmqpTlsSettings {
  readonly amqp_url: Redacted.Redacted<string>;
  readonly amqp_ca_file?: string | undefined;
  readonly amqp_cert_file?: string | undefined;
  readonly amqp_key_file?: string | undefined;
}

/** A broker to connect to: its URL, and the TLS options when the URL is amqps://. */
export interface AmqpEndpoint {
  readonly url: Redacted.Redacted<string>;
  /** host:port, for messages (never the credentials). */
  readonly address: string;
  readonly tls: TlsOptions | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

/** host:port of an AMQP URL, with the scheme's default port (5672, or 5671 for amqps). */
export const addressOf = (url: string): string => {
  if (!URL.canParse(url)) return "the broker";
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port === "" ? (parsed.protocol === "amqps:" ? "5671" : "5672") : parsed.port}`;
};

/** A plain endpoint (amqp://, or amqps:// trusting the system's CAs); tests and tools use it. */
export const endpointOf = (url: string): AmqpEndpoint => ({
  url: Redacted.make(url),
  address: addressOf(url),
  tls: url.startsWith("amqps:") ? {} : undefined
});

/**
 * Reads the TLS files the settings name and checks they fit together; the
 * failure is the one line start-up prints (exit 78): a file that cannot be
 * read or is not PEM, a certificate without its key, TLS files with an
 * amqp:// URL.
 */
export const amqpEndpoint = (
  settings: AmqpTlsSettings,
  readFile: (path: string) => Effect.Effect<string, unknown>
): Effect.Effect<AmqpEndpoint, string> =>
  Effect.gen(function* () {
    const url = Redacted.value(settings.amqp_url);
    const secure = url.startsWith("amqps:");
    const named = (["amqp_ca_file", "amqp_cert_file", "amqp_key_file"] as const).filter((f) => settings[f] !== undefined);
    if (!secure && named.length > 0) {
      return yield* Effect.fail(`${named[0]} is set but amqp_url is amqp:// (no TLS): use an amqps:// URL (port 5671 by default)`);
    }
    if ((settings.amqp_cert_file === undefined) !== (settings.amqp_key_file === undefined)) {
      return yield* Effect.fail("amqp_cert_file and amqp_key_file go together: set both or neither");
    }
    const read = (field: (typeof named)[number], pattern: RegExp, what: string) => {
      const path = settings[field];
      if (path === undefined) return Effect.succeed(undefined);
      return readFile(path).pipe(
        Effect.mapError((e) => `${field} (${field.toUpperCase()}): cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`),
        Effect.flatMap((text) =>
          pattern.test(text) ? Effect.succeed(text) : Effect.fail(`${field} (${field.toUpperCase()}): ${path} is not ${what}`)
        )
      );
    };
    const ca = yield* read("amqp_ca_file", PEM_CERTIFICATE, "a PEM certificate (-----BEGIN CERTIFICATE-----)");
    const cert = yield* read("amqp_cert_file", PEM_CERTIFICATE, "a PEM certificate (-----BEGIN CERTIFICATE-----)");
    const key = yield* read("amqp_key_file", PEM_KEY, "a PEM private key (-----BEGIN PRIVATE KEY-----)");
    const tls: TlsOptions | undefined = secure
      ? { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) }
      : undefined;
    return { url: settings.amqp_url, address: addressOf(url), tls };
  });

/** The rabbitmq-client Connection options for an endpoint (`noDelay`: without it every confirmed publish waits ~20 ms). */
export const connectionOptions = (endpoint: AmqpEndpoint) => ({
  url: Redacted.value(endpoint.url),
  noDelay: true,
  ...(endpoint.tls === undefined ? {} : { tls: endpoint.tls })
});

/** OpenSSL's messages carry the source file and a newline; the alert's name is enough. */
const firstLine = (message: string) => {
  const line = message.split("\n")[0] ?? message;
  const alert = /SSL routines:[^:]*:([^:]+):/.exec(line);
  return alert?.[1] ?? line;
};

const UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE"
]);

/**
 * A connection failure in words that say what to do: a TLS refusal names
 * the broker's address and the setting that fixes it; anything else is the
 * client's message.
 */
export const describeConnectError = (e: unknown, address: string): string => {
  const message = (e instanceof Error ? e.message : String(e)).replace(/^Error: /, "");
  const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "";
  if (UNTRUSTED.has(code)) {
    return `TLS: the certificate of ${address} is not signed by a CA this process trusts (${message}); set AMQP_CA_FILE to the CA that signed it`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `TLS: the certificate of ${address} is not valid for that host name (${message}); connect with a name the certificate lists`;
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return `TLS: the certificate of ${address} is outside its validity period (${message})`;
  }
  if (/^ERR_SSL_TLSV1_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)$/.test(code)) {
    return `TLS: ${address} refused this process's client certificate (AMQP_CERT_FILE): ${firstLine(message)}`;
  }
  if (/CERTIFICATE_REQUIRED$/.test(code)) {
    return `TLS: ${address} requires a client certificate: set AMQP_CERT_FILE and AMQP_KEY_FILE (${firstLine(message)})`;
  }
  if (code === "EPROTO" && /wrong version number/.test(message)) {
    return `TLS: ${address} did not answer TLS (is it the broker's TLS port? 5671 by default): ${firstLine(message)}`;
  }
  return firstLine(message);
};
