import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Fake `nvidia-smi`, `rocm-smi` and `xpu-smi` executables in a temporary
 * folder, for tests and benchmarks that put that folder first on PATH. Each
 * fake is a small shell script (the code under test spawns it without a
 * shell) whose behaviour the test sets between calls:
 *   - stdout/stderr/exit code per tool, or per tool and its first one or two
 *     arguments (`xpu-smi discovery`, `xpu-smi discovery -d` and
 *     `xpu-smi stats` answer differently);
 *   - hang: the fake execs `sleep`, so only a kill ends it;
 *   - each call's arguments and pid are recorded.
 */
export interface FakeGpuTools {
  readonly dir: string;
  /** PATH with the fakes first, followed by the system directories (but no real GPU tool). */
  readonly path: string;
  readonly env: Readonly<Record<string, string>>;
  install(tool: FakeTool): void;
  answer(tool: FakeTool, reply: FakeReply, leadingArgs?: string): void;
  hang(tool: FakeTool): void;
  calls(tool: FakeTool): ReadonlyArray<string>;
  pids(tool: FakeTool): ReadonlyArray<number>;
  remove(): void;
}

export type FakeTool = "nvidia-smi" | "rocm-smi" | "xpu-smi";

export interface FakeReply {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}

const SCRIPT = `#!/bin/sh
d=$(dirname "$0"); t=$(basename "$0")
echo "$*" >> "$d/$t.calls"
echo "$$" >> "$d/$t.pids"
if [ -f "$d/$t.hang" ]; then exec sleep 600; fi
k="$t"
if [ -n "$1" ] && [ -f "$d/$t.$1.exit" ]; then k="$t.$1"; fi
if [ -n "$2" ] && [ -f "$d/$t.$1 $2.exit" ]; then k="$t.$1 $2"; fi
[ -f "$d/$k.stdout" ] && cat "$d/$k.stdout"
[ -f "$d/$k.stderr" ] && cat "$d/$k.stderr" >&2
exit $(cat "$d/$k.exit" 2>/dev/null || echo 0)
`;

const lines = (file: string): Array<string> =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0) : [];

export const makeFakeGpuTools = (): FakeGpuTools => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "fake-gpu-tools-"));
  const systemPath = "/usr/local/bin:/usr/bin:/bin";
  const tools: FakeGpuTools = {
    dir,
    path: `${dir}:${systemPath}`,
    env: { PATH: `${dir}:${systemPath}`, LANG: "C" },
    install(tool) {
      const file = path.join(dir, tool);
      writeFileSync(file, SCRIPT);
      chmodSync(file, 0o755);
    },
    answer(tool, reply, leadingArgs) {
      if (!existsSync(path.join(dir, tool))) tools.install(tool);
      rmSync(path.join(dir, `${tool}.hang`), { force: true });
      const key = leadingArgs === undefined ? tool : `${tool}.${leadingArgs}`;
      for (const ext of ["stdout", "stderr"] as const) {
        const file = path.join(dir, `${key}.${ext}`);
        const text = reply[ext];
        if (text === undefined) rmSync(file, { force: true });
        else writeFileSync(file, text);
      }
      writeFileSync(path.join(dir, `${key}.exit`), String(reply.exitCode ?? 0));
    },
    hang(tool) {
      if (!existsSync(path.join(dir, tool))) tools.install(tool);
      writeFileSync(path.join(dir, `${tool}.hang`), "");
    },
    calls: (tool) => lines(path.join(dir, `${tool}.calls`)),
    pids: (tool) => lines(path.join(dir, `${tool}.pids`)).map(Number),
    remove: () => rmSync(dir, { recursive: true, force: true })
  };
  return tools;
};

/** One row of `nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu`. */
export interface FakeNvidiaGpu {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly totalMiB: number;
  readonly usedMiB: number;
  readonly freeMiB: number;
  readonly utilization: number | "[N/A]";
  readonly temperature: number | "[N/A]";
}

/** What nvidia-smi 550+ prints for that query with `--format=csv,nounits`. */
export const nvidiaCsv = (gpus: ReadonlyArray<FakeNvidiaGpu>): string =>
  [
    "index, uuid, name, memory.total [MiB], memory.used [MiB], memory.free [MiB], utilization.gpu [%], temperature.gpu",
    ...gpus.map((g) =>
      [g.index, g.uuid, g.name, g.totalMiB, g.usedMiB, g.freeMiB, g.utilization, g.temperature].join(", ")
    )
  ].join("\n") + "\n";

/** nvidia-smi's message (exit code 9) when the kernel driver is not loaded. */
export const NVIDIA_DRIVER_FAILURE =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n";

export const RTX_4090: FakeNvidiaGpu = {
  index: 0,
  uuid: "GPU-5c1a2b3d-4e5f-6789-abcd-ef0123456789",
  name: "NVIDIA GeForce RTX 4090",
  totalMiB: 24564,
  usedMiB: 1843,
  freeMiB: 22302,
  utilization: 12,
  temperature: 41
};

export const RTX_3060: FakeNvidiaGpu = {
  index: 1,
  uuid: "GPU-d6889ff6-2523-9142-ca3c-1ca3f396a625",
  name: "NVIDIA GeForce RTX 3060",
  totalMiB: 12288,
  usedMiB: 116,
  freeMiB: 11806,
  utilization: 0,
  temperature: 42
};
