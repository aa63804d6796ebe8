// A real Prometheus (Debian's prometheus package) scrapes the real
// orchestrator while a real agent with a fake NVIDIA card heartbeats; the
// per-GPU series must arrive in Prometheus with the card's value.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Effect } from "effect";
import { makeFakeGpuTools, nvidiaCsv, runLive, type FakeGpuTools } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, freePort, within } from "./support/childProcess.ts";
import { getAgent } from "./support/orchestratorProcess.ts";
import { orchestratedSystem } from "./support/system.ts";

beforeAll(requireAgentBundle);

const PROMETHEUS = "/usr/bin/prometheus";
/** 20,000 MiB free of 24,576. */
const CARD = { index: 0, uuid: "GPU-11111111-2222-4333-8444-555555555555", name: "NVIDIA GeForce RTX 4090", totalMiB: 24576, usedMiB: 4576, freeMiB: 20000, utilization: 35, temperature: 52 };

/** Prometheus scraping `target` every second, in a temporary directory; stopped with the scope. */
const prometheus = (target: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "systest-prometheus-"));
      const port = await freePort();
      const config = path.join(dir, "prometheus.yml");
      writeFileSync(
        config,
        `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: homelab\n    static_configs:\n      - targets: ["${target}"]\n`
      );
      const child = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], {
        stdio: ["ignore", "ignore", "pipe"]
      });
      let log = "";
      child.stderr?.on("data", (d: Buffer) => void (log = (log + d.toString()).slice(-4000)));
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      return { dir, child, exited, url: `http://127.0.0.1:${port}`, log: () => log };
    }),
    (p) =>
      Effect.promise(async () => {
        p.child.kill("SIGTERM");
        if ((await within(p.exited, 10_000)) === "timed out") p.child.kill("SIGKILL");
        rmSync(p.dir, { recursive: true, force: true });
      })
  );

describe("Prometheus scraping the orchestrator", () => {
  it("sees a fake-GPU agent's free VRAM per GPU as homelab_gpu_vram_available_bytes, and the agent up", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const { orchestrator, replyQueue, newAgentId } = yield* orchestratedSystem("prometheus_system", { heartbeatTimeoutSeconds: 3, sweepIntervalSeconds: 1 });
        const tools = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const t = makeFakeGpuTools();
            t.answer("nvidia-smi", { stdout: nvidiaCsv([CARD]) });
            return t;
          }),
          (t: FakeGpuTools) => Effect.sync(() => t.remove())
        );
        const agentId = newAgentId("scraped");
        yield* startAgent({ agentId, replyQueue, env: { GPU_BACKEND: "nvidia", PATH: tools.path } });
        yield* Effect.promise(() => eventually(`agent ${agentId} online`, () => getAgent(orchestrator, agentId), (a) => a?.status === "online", AGENT_UP_MS));
        const server = yield* prometheus(orchestrator.baseUrl.replace("http://", ""));
        const query = async (promql: string) => {
          const response = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
          const body = (await response.json()) as { data?: { result?: ReadonlyArray<{ metric: Record<string, string>; value: [number, string] }> } };
          return body.data?.result ?? [];
        };
        const vram = yield* Effect.promise(() =>
          eventually(
            "the per-GPU VRAM series in Prometheus",
            () => query(`homelab_gpu_vram_available_bytes{agent="${agentId}"}`),
            (r) => r.length === 1,
            30_000,
            250
          ).catch((e: unknown) => Promise.reject(new Error(`${String(e)}\nprometheus log:\n${server.log()}`)))
        );
        const up = yield* Effect.promise(() => query(`homelab_agent_up{agent="${agentId}"}`));
        return { vram, up };
      })
    );
    const [series] = outcome.vram;
    expect(series?.metric).toMatchObject({ index: "0", name: "NVIDIA GeForce RTX 4090", vendor: "nvidia", uuid: CARD.uuid, job: "homelab" });
    // 20,000 MiB free, within the agent's rounding of GB (a few hundred KiB).
    expect(Math.abs(Number(series?.value[1]) - 20_000 * 1024 ** 2)).toBeLessThan(1024 ** 2);
    expect(outcome.up.map((u) => [u.metric["status"], u.value[1]])).toEqual([["online", "1"]]);
  }, 90_000);
});
