// Resolves the PostgreSQL and RabbitMQ every integration test talks to, once
// per Jest run, and exports them as DATABASE_URL / AMQP_URL for the workers:
//   1. the env var, when set;
//   2. else the local service (SPEC §7 defaults), when it answers;
//   3. else a testcontainers container, when a container runtime exists;
//   4. else fail at once, saying what to set.
"use strict";
const { resolveServices } = require("./services.cjs");

module.exports = async function globalSetup() {
  const resolved = await resolveServices(process.env);
  process.env.DATABASE_URL = resolved.databaseUrl;
  process.env.AMQP_URL = resolved.amqpUrl;
  globalThis.__HOMELAB_CONTAINERS__ = resolved.containers;
};
