import fs from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error -- plain ESM script without type declarations
import { checkProject } from "./boundaries.mjs";

const check = checkProject as (workspaceRoot: string, projectRoot: string) => Array<string>;

const makeWorkspace = (files: Record<string, string>): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "boundaries-"));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
};

const protocolProject = JSON.stringify({ name: "protocol", tags: ["type:lib", "scope:protocol"] });
const libProject = JSON.stringify({ name: "metrics", tags: ["type:lib"] });

describe("module boundaries", () => {
  it("reports libs/protocol importing an I/O library, with file and line", () => {
    const root = makeWorkspace({
      "libs/protocol/project.json": protocolProject,
      "libs/protocol/src/ok.ts": `import { Schema } from "effect";\nimport { x } from "./other.ts";\n`,
      "libs/protocol/src/bad.ts": `import { Schema } from "effect";\nimport { Connection } from "rabbitmq-client";\nconst cp = require("node:child_process");\n`
    });
    expect(check(root, path.join(root, "libs/protocol"))).toEqual([
      `libs/protocol/src/bad.ts:2: libs/protocol is pure data and may not import "rabbitmq-client"`,
      `libs/protocol/src/bad.ts:3: libs/protocol is pure data and may not import "node:child_process"`
    ]);
  });

  it("lets protocol tests import test tools while production files stay pure", () => {
    const root = makeWorkspace({
      "libs/protocol/project.json": protocolProject,
      "libs/protocol/src/decode.test.ts": `import fc from "fast-check";\nimport fs from "node:fs";\n`
    });
    expect(check(root, path.join(root, "libs/protocol"))).toEqual([]);
  });

  it("reports a library importing an app by package name or by relative path", () => {
    const root = makeWorkspace({
      "libs/metrics/project.json": libProject,
      "libs/metrics/src/a.ts": `import { main } from "@homelab/orchestrator";\n`,
      "libs/metrics/src/b.ts": `export * from "../../../apps/desktop-agent/src/main.ts";\n`,
      "libs/metrics/src/c.ts": `const m = await import("@homelab/desktop-agent/src/x.ts");\n`
    });
    expect(check(root, path.join(root, "libs/metrics")).sort()).toEqual([
      `libs/metrics/src/a.ts:1: a library imports an app ("@homelab/orchestrator")`,
      `libs/metrics/src/b.ts:1: a library imports an app ("../../../apps/desktop-agent/src/main.ts")`,
      `libs/metrics/src/c.ts:1: a library imports an app ("@homelab/desktop-agent/src/x.ts")`
    ]);
  });

  it("passes every project of this workspace", () => {
    const workspace = path.resolve(__dirname, "../..");
    const projects = ["libs/protocol", "libs/metrics", "libs/registry", "apps/desktop-agent", "apps/orchestrator"];
    expect(projects.flatMap((p) => check(workspace, path.join(workspace, p)))).toEqual([]);
  });
});
