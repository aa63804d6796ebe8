/// <reference lib="dom" />
// The dashboard in headless Chromium (Debian's, driven by playwright-core)
// against the real orchestrator and agents with fake GPUs: every check goes
// through the page only, never a reload. UPDATE_SCREENSHOTS=1 also writes
// the fleet and work views to docs/screenshots/ for the README.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Effect } from "effect";
import type { Page } from "playwright-core";
import { randomUUID } from "node:crypto";
import {
  heartbeat,
  makeFakeGpuTools,
  nvidiaCsv,
  replyPublisher,
  resources,
  RTX_3060,
  RTX_4090,
  runLive,
  uniqueName,
  type FakeGpuTools
} from "@homelab/testing";
import { AGENT_UP_MS, ECHO_AND_HOLD_CONFIG, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { launchBrowser } from "./support/browser.ts";
import { repoRoot, type Child } from "./support/childProcess.ts";
import { agentStatus } from "./support/orchestratorProcess.ts";
import { suiteResources } from "./support/suite.ts";
import { orchestratedSystem } from "./support/system.ts";

const TIMEOUT_SECONDS = 3;
const SWEEP_SECONDS = 1;

interface Machine {
  readonly label: string;
  readonly gpus: ReadonlyArray<typeof RTX_4090>;
  readonly pool?: string;
}

const MACHINES: ReadonlyArray<Machine> = [
  { label: "gaming-pc", gpus: [RTX_4090, RTX_3060] },
  { label: "workstation", gpus: [{ ...RTX_3060, index: 0 }], pool: "studio" },
  { label: "nas", gpus: [] }
];

const fakeGpu = (m: Machine) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const tools = makeFakeGpuTools();
      if (m.gpus.length > 0) tools.answer("nvidia-smi", { stdout: nvidiaCsv(m.gpus) });
      return tools;
    }),
    (tools: FakeGpuTools) => Effect.sync(() => tools.remove())
  );

beforeAll(requireAgentBundle);

const suite = suiteResources(
  Effect.gen(function* () {
    if (!existsSync(path.join(repoRoot, "dist/apps/dashboard/index.html"))) {
      return yield* Effect.fail(new Error("dist/apps/dashboard is missing: run npx nx run orchestrator:build (it builds the dashboard)"));
    }
    const system = yield* orchestratedSystem("dashboard", { heartbeatTimeoutSeconds: TIMEOUT_SECONDS, sweepIntervalSeconds: SWEEP_SECONDS });
    const agents = new Map<string, { readonly id: string; readonly child: Child }>();
    for (const machine of MACHINES) {
      const id = system.newAgentId(machine.label);
      const tools = yield* fakeGpu(machine);
      const child = yield* startAgent({
        agentId: id,
        replyQueue: system.replyQueue,
        config: ECHO_AND_HOLD_CONFIG(machine.pool === undefined ? "" : `pool_name: ${machine.pool}\n`),
        env: { GPU_BACKEND: machine.gpus.length > 0 ? "nvidia" : "none", PATH: tools.path }
      });
      agents.set(machine.label, { id, child });
    }
    for (const { id } of agents.values()) yield* Effect.promise(() => agentStatus(system.orchestrator, id, "online", AGENT_UP_MS));
    const browser = yield* launchBrowser;
    const page = yield* Effect.promise(() => browser.newPage({ viewport: { width: 1280, height: 900 } }));
    yield* Effect.promise(() => page.goto(`${system.orchestrator.baseUrl}/`));
    const idOf = (label: string) => agents.get(label)?.id ?? "";
    return { ...system, agents, page, idOf };
  }),
  90_000
);

const card = (page: Page, agentId: string) => page.locator(`[data-agent-id="${agentId}"]`);
const tab = (page: Page, name: "fleet" | "capacity" | "work" | "history") => page.getByTestId(`tab-${name}`).click();
const attribute = async (page: Page, selector: string, name: string) => Number(await page.locator(selector).getAttribute(name));

interface CapacityAgent {
  readonly agent_id: string;
  readonly best_gpu_vram_available_gb: number;
  readonly vram_available_gb: number;
}

const screenshot = async (page: Page, name: string) => {
  if (process.env["UPDATE_SCREENSHOTS"] !== "1") return;
  const dir = path.join(repoRoot, "docs/screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
};

describe("the dashboard in a real browser", () => {
  it("shows every agent with the free VRAM per GPU that /capacity gives, without a reload", async () => {
    const { page, orchestrator, idOf } = suite();
    await tab(page, "fleet");
    for (const machine of MACHINES) await card(page, idOf(machine.label)).waitFor({ timeout: 10_000 });
    const capacity = (await orchestrator.get("/capacity")).body as { agents: ReadonlyArray<CapacityAgent> };
    for (const machine of MACHINES) {
      const id = idOf(machine.label);
      const fromApi = capacity.agents.find((a) => a.agent_id === id);
      const perGpu: Array<number> = [];
      for (const gpu of machine.gpus) perGpu.push(await attribute(page, `li[data-agent-id="${id}"] [data-gpu-index="${gpu.index}"]`, "data-vram-free"));
      // /capacity: the best single GPU's free VRAM, and the sum over GPUs.
      expect([id, Math.max(0, ...perGpu)]).toEqual([id, fromApi?.best_gpu_vram_available_gb]);
      expect(perGpu.reduce((a, b) => a + b, 0)).toBeCloseTo(fromApi?.vram_available_gb ?? Number.NaN, 6);
      expect(await card(page, id).getByTestId("liveness").getAttribute("data-value")).toBe("online");
    }
    await screenshot(page, "fleet");
  });

  it("turns a kill -9'd agent offline (unreachable) within timeout + sweep + 1 s, while the others stay online", async () => {
    const { page, agents, idOf } = suite();
    await tab(page, "fleet");
    const doomed = agents.get("nas");
    if (doomed === undefined) throw new Error("no nas agent");
    const liveness = card(page, doomed.id).getByTestId("liveness");
    await expect(liveness.getAttribute("data-value")).resolves.toBe("online");
    const killedAt = Date.now();
    doomed.child.signal("SIGKILL");
    await page.waitForFunction(
      (id) => document.querySelector(`[data-agent-id="${id}"] [data-testid="liveness"]`)?.getAttribute("data-value")?.startsWith("offline") === true,
      doomed.id,
      { timeout: 15_000, polling: 50 }
    );
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThanOrEqual((TIMEOUT_SECONDS + SWEEP_SECONDS + 1) * 1000);
    expect(await liveness.textContent()).toMatch(/unreachable/);
    await expect(card(page, doomed.id).getAttribute("class")).resolves.toMatch(/\boffline\b/);
    for (const label of ["gaming-pc", "workstation"]) {
      expect(await card(page, idOf(label)).getByTestId("liveness").getAttribute("data-value")).toBe("online");
    }
  });

  it("runs a job submitted from the form and shows its output", async () => {
    const { page } = suite();
    await tab(page, "work");
    await page.getByTestId("submit-kind").selectOption("echo");
    const rows = page.getByTestId("param-row");
    if ((await rows.count()) === 0) await page.getByTestId("add-param").click();
    await rows.first().getByLabel(/name/).fill("message");
    await rows.first().getByLabel(/value/).fill("hello from the browser");
    await page.getByTestId("submit-work").click();
    await page.getByTestId("submit-result").waitFor();
    const output = page.getByTestId("work-output");
    await expect(output.filter({ hasText: "hello from the browser" }).waitFor({ timeout: 15_000 })).resolves.toBeUndefined();
    expect(await page.getByTestId("work-state").textContent()).toBe("succeeded");
    await screenshot(page, "work");
  });

  it("cancels a running job from the page", async () => {
    const { page, orchestrator } = suite();
    await tab(page, "work");
    await page.getByTestId("submit-kind").selectOption("hold");
    const rows = page.getByTestId("param-row");
    if ((await rows.count()) === 0) await page.getByTestId("add-param").click();
    await rows.first().getByLabel(/name/).fill("seconds");
    await rows.first().getByLabel(/value/).fill("60");
    const detail = page.getByTestId("work-detail");
    const before = (await detail.count()) === 0 ? null : await detail.getAttribute("data-work-id");
    await page.getByTestId("submit-work").click();
    // The detail opens on the job just submitted (not the one it showed before).
    const opened = await page.waitForFunction(
      (previous) => {
        const id = document.querySelector('[data-testid="work-detail"]')?.getAttribute("data-work-id");
        return id !== undefined && id !== null && id !== previous ? id : false;
      },
      before,
      { timeout: 10_000 }
    );
    const workId = String(await opened.jsonValue());
    const row = page.locator(`[data-testid="work-active"] [data-work-id="${workId}"]`);
    await row.filter({ has: page.locator('[data-testid="state"]', { hasText: "running" }) }).waitFor({ timeout: 15_000 });
    await row.getByTestId("cancel-work").click();
    await page.locator(`[data-testid="work-finished"] [data-work-id="${workId}"] [data-testid="state"]`, { hasText: "cancelled" }).waitFor({ timeout: 15_000 });
    const stored = (await orchestrator.get(`/work/${workId}`)).body as { state: string };
    expect(stored.state).toBe("cancelled");
  });

  it("drains and resumes an agent from the page", async () => {
    const { page, orchestrator, idOf } = suite();
    await tab(page, "fleet");
    const id = idOf("workstation");
    const liveness = card(page, id).getByTestId("liveness");
    await card(page, id).getByTestId("drain").click();
    await page.locator(`[data-agent-id="${id}"] [data-testid="liveness"][data-value="draining"]`).waitFor({ timeout: 10_000 });
    expect(((await orchestrator.get(`/agents/${id}`)).body as { drained: boolean }).drained).toBe(true);
    await card(page, id).getByTestId("resume").click();
    await page.locator(`[data-agent-id="${id}"] [data-testid="liveness"][data-value="online"]`).waitFor({ timeout: 10_000 });
    expect(await liveness.textContent()).toMatch(/online/);
    expect(((await orchestrator.get(`/agents/${id}`)).body as { drained: boolean }).drained).toBe(false);
  });

  it("lists a long fleet at once, and draws a far agent's card in full, with its figures, when it is scrolled into view", async () => {
    const { page, replyQueue } = suite();
    await tab(page, "fleet");
    const prefix = uniqueName("far");
    const FAR = 80;
    const freeOf = (i: number) => 1 + (i % 20);
    await runLive(
      Effect.scoped(
        Effect.gen(function* () {
          const publisher = yield* replyPublisher(replyQueue);
          for (let i = 0; i < FAR; i++) {
            const free = freeOf(i);
            const gpu = { ...resources().gpus[0]!, vram_used_gb: 24 - free, vram_available_gb: free };
            const message = heartbeat({
              agentId: `${prefix}-${String(i).padStart(2, "0")}`,
              bootId: randomUUID(),
              seq: 1,
              resources: resources({ gpus: [gpu], gpu_vram_available_gb: free })
            });
            yield* Effect.promise(() => publisher.send(message));
          }
        })
      )
    );
    await page.locator(`[data-testid="fleet-count"][data-value="${FAR + MACHINES.length}"]`).waitFor({ timeout: 15_000 });
    // Every agent is listed; the last ones, far below the view, are stand-ins until scrolled to.
    expect(await page.locator("ul.cards > li").count()).toBe(FAR + MACHINES.length);
    const standIns = page.locator(`ul.cards > li[data-stand-in^="${prefix}-"]`);
    expect(await standIns.count()).toBeGreaterThan(0);
    const last = standIns.last();
    const lastId = (await last.getAttribute("data-stand-in")) ?? "";
    expect(lastId.startsWith(prefix)).toBe(true);
    expect(await card(page, lastId).count()).toBe(0);
    await last.scrollIntoViewIfNeeded();
    const gpuRow = card(page, lastId).locator("li[data-gpu-index]");
    await gpuRow.waitFor({ timeout: 5_000 });
    expect(Number(await gpuRow.getAttribute("data-vram-free"))).toBe(freeOf(Number(lastId.slice(prefix.length + 1))));
    await page.evaluate("window.scrollTo(0, 0)");
  });

  it("draws history charts with points after a few heartbeats", async () => {
    const { page, idOf } = suite();
    await tab(page, "history");
    await page.getByTestId("history-agent").selectOption(idOf("gaming-pc"));
    const charts = page.getByTestId("history-chart");
    await charts.first().waitFor({ timeout: 10_000 });
    const points = await charts.evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute("data-points"))));
    expect(points.length).toBeGreaterThanOrEqual(3);
    expect(points.every((p) => p >= 1)).toBe(true);
  });
});
