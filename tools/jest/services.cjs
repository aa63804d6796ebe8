// Service resolution for tests (see global-setup.cjs). Kept apart so that it
// can be tested on its own.
"use strict";
const net = require("node:net");

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";

/** Resolves true when a TCP connection to url's host:port opens within timeoutMs. */
function reachable(url, defaultPort, timeoutMs = 1500) {
  const u = new URL(url);
  const port = Number(u.port || defaultPort);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function startContainer(kind) {
  if (kind === "postgres") {
    const { PostgreSqlContainer } = require("@testcontainers/postgresql");
    const c = await new PostgreSqlContainer("postgres:16-alpine").start();
    return { container: c, url: c.getConnectionUri() };
  }
  const { RabbitMQContainer } = require("@testcontainers/rabbitmq");
  const c = await new RabbitMQContainer("rabbitmq:3.13-alpine").start();
  return { container: c, url: c.getAmqpUrl() };
}

async function resolveOne(kind, envValue, defaultUrl, defaultPort, deps) {
  if (envValue) return { url: envValue, container: undefined, source: "env" };
  if (await deps.reachable(defaultUrl, defaultPort)) {
    return { url: defaultUrl, container: undefined, source: "local" };
  }
  try {
    const started = await deps.startContainer(kind);
    return { url: started.url, container: started.container, source: "testcontainers" };
  } catch (cause) {
    const envName = kind === "postgres" ? "DATABASE_URL" : "AMQP_URL";
    const what = kind === "postgres" ? "PostgreSQL" : "RabbitMQ";
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `${what} for tests: ${envName} is not set, nothing answers at ${defaultUrl}, ` +
        `and testcontainers could not start one (${reason}). ` +
        `Start ${what} locally or set ${envName}.`
    );
  }
}

async function resolveServices(env, deps = { reachable, startContainer }) {
  const [pg, amqp] = await Promise.all([
    resolveOne("postgres", env.DATABASE_URL, DEFAULT_DATABASE_URL, 5432, deps),
    resolveOne("rabbitmq", env.AMQP_URL, DEFAULT_AMQP_URL, 5672, deps)
  ]);
  return {
    databaseUrl: pg.url,
    amqpUrl: amqp.url,
    sources: { database: pg.source, amqp: amqp.source },
    containers: [pg.container, amqp.container].filter(Boolean)
  };
}

module.exports = { resolveServices, reachable, DEFAULT_DATABASE_URL, DEFAULT_AMQP_URL };
