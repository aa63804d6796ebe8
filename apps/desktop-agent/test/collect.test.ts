import { execFile } from "node:child_process";
import path from "node:path";
import { decodeMessageValue } from "@homelab/protocol";
import { makeFakeGpuTools, nvidiaCsv, RTX_4090 } from "@homelab/testing";

const appRoot = path.resolve(__dirname, "..");
const tsx = path.resolve(appRoot, "../../node_modules/.bin/tsx");

const runCollect = (env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(tsx, ["src/collect.ts"], { cwd: appRoot, env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    );
  });

describe("desktop-agent:collect (the real process)", () => {
  it("prints this machine's ResourceMetrics as JSON that the protocol accepts", async () => {
    const out = await runCollect({ GPU_BACKEND: "none" });
    expect(out.code).toBe(0);
    const heartbeat = {
      message_id: "5f0c8a9e-2b1d-4c3a-9e8f-7a6b5c4d3e2f",
      type: "work_status",
      version: 1,
      sent_at: "2026-11-29T12:00:00Z",
      sender: "desk-1",
      payload: {
        agent_id: "desk-1",
        agent_type: "desktop",
        status: "online",
        boot_id: "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f",
        seq: 0,
        capabilities: [],
        resources: JSON.parse(out.stdout),
        current_work: []
      }
    };
    const decoded = decodeMessageValue(heartbeat);
    expect(decoded._tag === "Success" ? "accepted" : decoded.failure.message).toBe("accepted");
    expect(JSON.parse(out.stdout)).toMatchObject({ gpu_type: "none", gpu_count: 0, collection_errors: [] });
  });

  it("picks NVIDIA automatically when nvidia-smi is on PATH", async () => {
    const fakes = makeFakeGpuTools();
    try {
      fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090]) });
      const out = await runCollect({ GPU_BACKEND: "auto", PATH: `${fakes.dir}:${process.env["PATH"] ?? ""}` });
      expect(out.code).toBe(0);
      expect(JSON.parse(out.stdout)).toMatchObject({ gpu_type: "nvidia", gpu_count: 1, gpu_vram_total_gb: 23.988 });
    } finally {
      fakes.remove();
    }
  });

  it("stops with exit code 78 and one line naming GPU_BACKEND when it is invalid", async () => {
    const out = await runCollect({ GPU_BACKEND: "cuda" });
    expect(out.code).toBe(78);
    expect(out.stdout).toBe("");
    const lines = out.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^invalid configuration: GPU_BACKEND \(env\): .*"cuda"/);
  });
});
