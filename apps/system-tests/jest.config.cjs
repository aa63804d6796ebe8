"use strict";
// The system tests start real processes and watch real time: one file at a
// time, so one scenario's processes never slow another's deadlines.
module.exports = {
  ...require("../../jest.preset.cjs"),
  displayName: "system-tests",
  rootDir: __dirname,
  maxWorkers: 1,
  testTimeout: 60000
};
