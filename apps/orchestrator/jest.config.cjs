"use strict";
module.exports = {
  ...require("../../jest.preset.cjs"),
  displayName: "orchestrator",
  rootDir: __dirname
};
