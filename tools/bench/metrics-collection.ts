/**
 * Benchmark: how long one metrics collection takes and how long it stalls the
 * event loop, with no GPU and with a fake nvidia-smi, against a baseline
 * measured in the same run (spawning `true`: the floor for any collection
 * that runs an external tool).
 *
 *   npx tsx tools/bench/metrics-collection.ts [runs=200]
 */
import { execFile } from "node:child_process";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { Effect } from "effect";
import { MetricsCollector, metricsLayer, type MetricsSettings } from "@homelab/metrics";
import { makeFakeGpuTools, nvidiaCsv, RTX_3060, RTX_4090 } from "@homelab/tools/testing";

const runs = Number(process.argv[2] ?? 200);

interface Sample {
  readonly name: string;
  readonly median: number;
  readonly p99: number;
  readonly maxStallMs: number;
}

const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;

const measure = async (name: string, once: () => Promise<unknown>): Promise<Sample> => {
  for (let i = 0; i < 10; i++) await once(); // warm-up
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const times: Array<number> = [];
  histogram.enable();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  histogram.disable();
  times.sort((a, b) => a - b);
  // The histogram records how late a 1 ms timer fired; lateness beyond the
  // resolution is time the loop was blocked.
  const maxStallMs = Math.max(0, histogram.max / 1e6 - 1);
  return { name, median: quantile(times, 0.5), p99: quantile(times, 0.99), maxStallMs };
};

const collector = async (settings: Partial<MetricsSettings>) => {
  const layer = metricsLayer(settings);
  const collect = await Effect.runPromise(MetricsCollector.use((c) => Effect.succeed(c.collect)).pipe(Effect.provide(layer)));
  return () => Effect.runPromise(collect);
};

const main = async () => {
  const fakes = makeFakeGpuTools();
  fakes.answer("nvidia-smi", { stdout: nvidiaCsv([RTX_4090, RTX_3060]) });
  try {
    const spawnTrue = () =>
      new Promise<void>((resolve, reject) => execFile("true", (e) => (e ? reject(e) : resolve())));
    const none = await collector({ gpuBackend: "none" });
    const nvidia = await collector({ gpuBackend: "nvidia", toolEnv: fakes.env });
    const check = await nvidia();
    if (check.gpu_count !== 2 || check.collection_errors.length > 0) {
      throw new Error(`fake nvidia-smi not read correctly: ${JSON.stringify(check.collection_errors)}`);
    }
    const baseline = await measure("baseline: execFile(true)", spawnTrue);
    const samples = [baseline, await measure("collect, GPU_BACKEND=none", none), await measure("collect, fake nvidia-smi", nvidia)];
    console.log(`metrics collection, ${runs} runs each (node ${process.version}, ${new Date().toISOString()})`);
    console.log("| case | median ms | p99 ms | median / baseline | max event-loop stall ms |");
    console.log("|---|---|---|---|---|");
    for (const s of samples) {
      console.log(
        `| ${s.name} | ${s.median.toFixed(2)} | ${s.p99.toFixed(2)} | ${(s.median / baseline.median).toFixed(2)} | ${s.maxStallMs.toFixed(2)} |`
      );
    }
    const worst = Math.max(...samples.slice(1).map((s) => s.maxStallMs));
    console.log(`target: no stall over 5 ms during collection -> ${worst <= 5 ? "met" : "NOT met"} (worst ${worst.toFixed(2)} ms)`);
  } finally {
    fakes.remove();
  }
};

void main();
