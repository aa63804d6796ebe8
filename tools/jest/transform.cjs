// Jest runs in CommonJS mode; effect 4 (and PGlite) ship ES modules only.
// swc turns them into CommonJS, but `import.meta` has no CommonJS meaning, so
// before swc sees a node_modules file we replace it with an object whose `url`
// is that file's URL (the only property those packages read).
"use strict";
const { pathToFileURL } = require("node:url");
const swcJest = require("@swc/jest");

const swcOptions = {
  jsc: {
    parser: { syntax: "typescript", tsx: false, decorators: false },
    target: "es2022",
    keepClassNames: true
  },
  module: { type: "commonjs", ignoreDynamic: false },
  sourceMaps: "inline"
};

const inner = swcJest.createTransformer(swcOptions);

function rewriteImportMeta(source, filename) {
  if (!source.includes("import.meta")) return source;
  const url = JSON.stringify(pathToFileURL(filename).href);
  return source.replace(/\bimport\.meta\b/g, `({ url: ${url} })`);
}

module.exports = {
  canInstrument: inner.canInstrument,
  process(source, filename, options) {
    return inner.process(rewriteImportMeta(source, filename), filename, options);
  },
  processAsync(source, filename, options) {
    return inner.processAsync(rewriteImportMeta(source, filename), filename, options);
  },
  getCacheKey(source, filename, ...rest) {
    return inner.getCacheKey(rewriteImportMeta(source, filename), filename, ...rest) + ":import-meta-v1";
  }
};
