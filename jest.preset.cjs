// Shared Jest settings for every project; each project's jest.config.cjs
// spreads this and adds its own displayName and roots.
"use strict";
const path = require("node:path");

module.exports = {
  testEnvironment: "node",
  transform: {
    "^.+\\.(t|j|mj|cj)s$": path.join(__dirname, "tools/jest/transform.cjs")
  },
  // Only ES-module-only packages need transforming; everything else in
  // node_modules is loaded as is.
  transformIgnorePatterns: [
    "/node_modules/(?!(effect|@effect|@electric-sql/pglite|msgpackr|multipasta|find-my-way-ts|uuid|fast-check|pure-rand)/)"
  ],
  moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
  testMatch: ["**/?(*.)test.ts"],
  globalSetup: path.join(__dirname, "tools/jest/global-setup.cjs"),
  globalTeardown: path.join(__dirname, "tools/jest/global-teardown.cjs"),
  testTimeout: 30000
};
