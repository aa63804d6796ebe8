"use strict";
module.exports = {
  ...require("../../jest.preset.cjs"),
  displayName: "process",
  rootDir: __dirname
};
