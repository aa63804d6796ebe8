// The module-boundary rules (.dependency-cruiser.cjs, built from the Nx tags
// in each project.json) run by the real dependency-cruiser on small
// workspaces made for each case, and on this workspace.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const workspace = path.resolve(__dirname, "../..");
const depcruise = path.join(workspace, "node_modules/.bin/depcruise");

const project = (tags: ReadonlyArray<string>) => JSON.stringify({ tags });

/** A workspace with the real config and paths file, the given files, and a project.json per folder named in `projects`. */
const makeWorkspace = (projects: Record<string, ReadonlyArray<string>>, files: Record<string, string>): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "boundaries-"));
  const all: Record<string, string> = {
    ".dependency-cruiser.cjs": fs.readFileSync(path.join(workspace, ".dependency-cruiser.cjs"), "utf8"),
    "tsconfig.base.json": "{}",
    "tsconfig.paths.json": fs.readFileSync(path.join(workspace, "tsconfig.paths.json"), "utf8"),
    ...Object.fromEntries(Object.entries(projects).map(([dir, tags]) => [`${dir}/project.json`, project(tags)])),
    ...files
  };
  for (const [rel, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  fs.mkdirSync(path.join(root, "tools"), { recursive: true });
  return root;
};

/** The violations dependency-cruiser reports, as "rule: from → to". */
const violations = (root: string): ReadonlyArray<string> => {
  const out = (() => {
    try {
      return execFileSync(depcruise, ["--config", ".dependency-cruiser.cjs", "--output-type", "json", "apps", "libs", "tools"], {
        cwd: root,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024
      });
    } catch (e) {
      return String((e as { stdout?: unknown }).stdout ?? "");
    }
  })();
  const report = JSON.parse(out) as { summary: { violations: ReadonlyArray<{ rule: { name: string }; from: string; to: string }> } };
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
};

const PROJECTS = {
  "libs/protocol": ["type:lib", "scope:protocol"],
  "libs/metrics": ["type:lib", "scope:metrics"],
  "libs/registry": ["type:lib", "scope:registry"],
  "libs/testing": ["type:testing"],
  "apps/orchestrator": ["type:app"],
  "apps/desktop-agent": ["type:app"]
};

describe("module boundaries (dependency-cruiser, from the Nx tags)", () => {
  it("reports libs/protocol importing an I/O library or a node: module, and lets its tests use more", () => {
    const root = makeWorkspace(PROJECTS, {
      "libs/protocol/src/ok.ts": `import { Schema } from "effect";\nimport { x } from "./other.ts";\n`,
      "libs/protocol/src/other.ts": `export const x = 1;\n`,
      "libs/protocol/src/bad.ts": `import { Connection } from "rabbitmq-client";\nimport cp from "node:child_process";\n`,
      "libs/protocol/test/decode.test.ts": `import fs from "node:fs";\nimport fc from "fast-check";\n`
    });
    expect(violations(root)).toEqual([
      "protocol-is-pure-data: libs/protocol/src/bad.ts → child_process",
      "protocol-is-pure-data: libs/protocol/src/bad.ts → rabbitmq-client"
    ]);
  });

  it("reports a library importing an app by package name or by relative path", () => {
    const root = makeWorkspace(PROJECTS, {
      "apps/orchestrator/src/main.ts": `export const main = 1;\n`,
      "apps/desktop-agent/src/main.ts": `export const main = 1;\n`,
      "libs/metrics/src/a.ts": `import { main } from "@homelab/orchestrator";\n`,
      "libs/metrics/src/b.ts": `export * from "../../../apps/desktop-agent/src/main.ts";\n`
    });
    expect(violations(root)).toEqual([
      "libs-never-import-apps: libs/metrics/src/a.ts → apps/orchestrator/src/main.ts",
      "libs-never-import-apps: libs/metrics/src/b.ts → apps/desktop-agent/src/main.ts",
      "tag-scope-metrics: libs/metrics/src/a.ts → apps/orchestrator/src/main.ts",
      "tag-scope-metrics: libs/metrics/src/b.ts → apps/desktop-agent/src/main.ts"
    ]);
  });

  it("keeps metrics and registry apart, apps apart, and the test helpers out of product code", () => {
    const root = makeWorkspace(PROJECTS, {
      "libs/registry/src/index.ts": `export const r = 1;\n`,
      "libs/testing/src/index.ts": `export const t = 1;\n`,
      "apps/orchestrator/src/Readiness.ts": `export const r = 1;\n`,
      "libs/metrics/src/a.ts": `import { r } from "@homelab/registry";\n`,
      "libs/metrics/test/a.test.ts": `import { t } from "@homelab/testing";\n`,
      "libs/metrics/src/b.ts": `import { t } from "@homelab/testing";\n`,
      "apps/desktop-agent/src/x.ts": `import { r } from "../../orchestrator/src/Readiness.ts";\n`
    });
    expect(violations(root)).toEqual([
      "tag-scope-metrics: libs/metrics/src/a.ts → libs/registry/src/index.ts",
      "tag-type-app: apps/desktop-agent/src/x.ts → apps/orchestrator/src/Readiness.ts",
      "testing-only-from-tests: libs/metrics/src/b.ts → libs/testing/src/index.ts"
    ]);
  });

  it("passes this workspace", () => {
    expect(violations(workspace)).toEqual([]);
  });
});
