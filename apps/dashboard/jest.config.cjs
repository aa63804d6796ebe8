"use strict";
module.exports = {
  ...require("../../jest.preset.cjs"),
  displayName: "dashboard",
  rootDir: __dirname,
  // The dashboard's tests are pure functions: they need no PostgreSQL or RabbitMQ, so skip the preset's service resolution.
  globalSetup: undefined,
  globalTeardown: undefined
};
