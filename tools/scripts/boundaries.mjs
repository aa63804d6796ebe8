// Module-boundary rules, checked on every import (static, dynamic and
// require) of a project's TypeScript files. Rules come from project.json tags:
//   - type:lib never imports an app (by package name or by path);
//   - scope:protocol is pure data: its non-test files import only `effect`
//     and its own files — no driver, no node:* I/O module, nothing else.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const APP_PACKAGES = ["@homelab/desktop-agent", "@homelab/orchestrator"];
const PROTOCOL_ALLOWED = [/^effect(\/.*)?$/, /^\.{1,2}\//];

const isTestFile = (file) => /\.test\.ts$/.test(file) || file.split(path.sep).includes("test");

function listTs(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(full));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** Every module specifier a file imports, with its line number. */
export function importsOf(file) {
  const text = fs.readFileSync(file, "utf8");
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => ({
    specifier: f.fileName,
    line: ts.getLineAndCharacterOfPosition(ts.createSourceFile(file, text, ts.ScriptTarget.Latest), f.pos).line + 1
  }));
}

/** Returns one line per violation in the project at projectRoot (empty when clean). */
export function checkProject(workspaceRoot, projectRoot) {
  const project = JSON.parse(fs.readFileSync(path.join(projectRoot, "project.json"), "utf8"));
  const tags = project.tags ?? [];
  const isLib = tags.includes("type:lib");
  const isProtocol = tags.includes("scope:protocol");
  const appsDir = path.join(workspaceRoot, "apps") + path.sep;
  const violations = [];
  const srcDirs = ["src", "test"].map((d) => path.join(projectRoot, d)).filter((d) => fs.existsSync(d));
  for (const file of srcDirs.flatMap(listTs)) {
    const rel = path.relative(workspaceRoot, file);
    for (const { specifier, line } of importsOf(file)) {
      if (isLib) {
        const resolved = specifier.startsWith(".") ? path.resolve(path.dirname(file), specifier) : "";
        if (APP_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`)) || resolved.startsWith(appsDir)) {
          violations.push(`${rel}:${line}: a library imports an app ("${specifier}")`);
        }
      }
      if (isProtocol && !isTestFile(file) && !PROTOCOL_ALLOWED.some((re) => re.test(specifier))) {
        violations.push(`${rel}:${line}: libs/protocol is pure data and may not import "${specifier}"`);
      }
    }
  }
  return violations;
}
