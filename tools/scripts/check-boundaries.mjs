#!/usr/bin/env node
// Usage: node tools/scripts/check-boundaries.mjs <projectRoot>...
// Exits 1 and prints each violation when a project breaks a boundary rule.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkProject } from "./boundaries.mjs";

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const roots = process.argv.slice(2);
if (roots.length === 0) {
  console.error("usage: check-boundaries.mjs <projectRoot>...");
  process.exit(2);
}
const violations = roots.flatMap((r) => checkProject(workspaceRoot, path.resolve(r)));
for (const v of violations) console.error(v);
if (violations.length > 0) process.exit(1);
console.log(`boundaries ok: ${roots.join(", ")}`);
