// Module boundaries, enforced by dependency-cruiser from the Nx tags in each
// project.json (the rules Nx's enforce-module-boundaries would apply; that
// ESLint plugin is not available for Nx 24 on this registry). `depcruise`
// runs in every project's `lint` target.
//
//   scope:protocol  pure data: imports only `effect` (tests may use more)
//   scope:config    the settings loader both apps use; depends on no other project
//   scope:broker    rabbitmq-client for both apps; may use protocol
//   scope:process   runs programs (no shell, process groups, worker thread); may use protocol
//   scope:metrics   may use protocol and process
//   scope:registry  may use protocol (metrics and registry never import each other)
//   type:testing    test helpers: may use protocol; only tests and tools use them
//   type:app        may use libs; never another app
//   type:lib        never imports an app
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** Every project's root folder and tags, read from its project.json. */
const projects = ["apps", "libs"]
  .flatMap((dir) => fs.readdirSync(path.join(__dirname, dir)).map((name) => path.join(dir, name)))
  .concat(["tools"])
  .filter((root) => fs.existsSync(path.join(__dirname, root, "project.json")))
  .map((root) => ({ root, tags: JSON.parse(fs.readFileSync(path.join(__dirname, root, "project.json"), "utf8")).tags ?? [] }));

const rootsWith = (tag) => projects.filter((p) => p.tags.includes(tag)).map((p) => p.root);
const under = (roots) => (roots.length === 0 ? "^$" : `^(${roots.map((r) => r.replace(/[.]/g, "\\.")).join("|")})/`);

/** What each tag may depend on, by the tags of the target project (Nx's depConstraints). */
const depConstraints = [
  { sourceTag: "scope:protocol", onlyDependOnLibsWithTags: [] },
  { sourceTag: "scope:config", onlyDependOnLibsWithTags: ["type:testing"] },
  { sourceTag: "scope:broker", onlyDependOnLibsWithTags: ["scope:protocol", "type:testing"] },
  { sourceTag: "scope:metrics", onlyDependOnLibsWithTags: ["scope:protocol", "scope:process", "type:testing"] },
  { sourceTag: "scope:process", onlyDependOnLibsWithTags: ["scope:protocol", "type:testing"] },
  { sourceTag: "scope:registry", onlyDependOnLibsWithTags: ["scope:protocol", "type:testing"] },
  { sourceTag: "type:testing", onlyDependOnLibsWithTags: ["scope:protocol"] },
  { sourceTag: "type:app", onlyDependOnLibsWithTags: ["type:lib", "type:testing"] }
];

const TEST_FILE = "(\\.test\\.ts$|/test/)";
const allRoots = projects.map((p) => p.root);

const forbidden = [
  // One rule per project: it may use itself and the projects its tag allows, never a sibling with the same tag.
  ...depConstraints.flatMap(({ sourceTag, onlyDependOnLibsWithTags }) =>
    rootsWith(sourceTag).map((source) => ({
      name: `tag-${sourceTag.replace(":", "-")}`,
      comment: `${source} (${sourceTag}) may depend only on projects tagged ${onlyDependOnLibsWithTags.join(", ") || "(none)"}`,
      severity: "error",
      from: { path: under([source]) },
      to: { path: under(allRoots), pathNot: under([source, ...onlyDependOnLibsWithTags.flatMap(rootsWith)]) }
    }))
  ),
  {
    name: "libs-never-import-apps",
    comment: "a library never imports an app",
    severity: "error",
    from: { path: under(rootsWith("type:lib")) },
    to: { path: under(rootsWith("type:app")) }
  },
  {
    name: "protocol-is-pure-data",
    comment: "libs/protocol imports nothing but effect and its own files: no driver, no node: I/O",
    severity: "error",
    from: { path: rootsWith("scope:protocol").map((r) => `^${r}/src/`), pathNot: TEST_FILE },
    to: { pathNot: [under(rootsWith("scope:protocol")), "^node_modules/effect/", "^effect(/|$)"] }
  },
  {
    name: "testing-only-from-tests",
    comment: "the test helpers are for tests and tools, never for product code",
    severity: "error",
    from: { path: under([...rootsWith("type:lib"), ...rootsWith("type:app")]), pathNot: TEST_FILE },
    to: { path: under(rootsWith("type:testing")) }
  }
];

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.paths.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] }
  }
};
