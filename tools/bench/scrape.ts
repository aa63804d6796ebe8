/**
 * Benchmark: what one `/metrics` scrape costs with a large fleet, against the
 * registry read it is built on, measured in the same run.
 *
 *   npx tsx tools/bench/scrape.ts [agents=1000] [gpus=4] [scrapes=100]
 *
 * A fresh database (bench_<random>_scrape on the local PostgreSQL, dropped at
 * the end) gets `agents` agents with `gpus` GPUs each (the router benchmark's
 * fleet otherwise) and 200 jobs booked on them. Then, one after another:
 * - baseline: AgentRegistry.fleet (every agent's figures for the series, the
 *   read the scrape is built on);
 * - listAgents: AgentRegistry.listAgents({}) (every agent with its whole
 *   metrics JSON, schema-checked: what GET /agents reads, and what the scrape
 *   read before the lean read existed), for comparison;
 * - scrape: OrchestratorMetrics.render (registry read, bookings, every
 *   homelab_* series set, the whole exposition rendered), as GET /metrics runs it.
 * Reported: p50/p99/max, ratios to the baseline, the exposition's size and
 * series count, and this process's CPU per scrape from /proc. Target: a
 * scrape of 1,000 agents × 4 GPUs under 100 ms. DATABASE_URL = an admin URL
 * (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Context, Effect, Layer, ManagedRuntime, Redacted } from "effect";
import { AgentRegistry, postgresDatabase, registryLayer, WorkRegistry } from "@homelab/registry";
import { OrchestratorMetrics } from "../../apps/orchestrator/src/OrchestratorMetrics.ts";
import { assertLocalUrl } from "../loadgen/agents.ts";
import { ownCpuMs } from "./procstat.ts";
import { agentHeartbeat, KINDS } from "./fleet.ts";
import { createDatabase, errorText, fmt, latencyStats, log, passFail, runBench, timed, wholeArg } from "./support.ts";

const usage = "usage: scrape.ts [agents=1000] [gpus=4] [scrapes=100]";
const arg = (index: number, fallback: number, min: number, max: number): number => wholeArg(usage, index, fallback, min, max);
const agentCount = arg(2, 1000, 1, 100_000);
const gpuCount = arg(3, 4, 0, 64);
const scrapes = arg(4, 100, 10, 10_000);
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
assertLocalUrl(adminUrl);

const TARGET_MS = 100;

/** Agent `i` of the router benchmark's fleet with exactly `gpuCount` GPUs. */
const withGpus = (i: number) => {
  const h = agentHeartbeat(i);
  const gpus = Array.from({ length: gpuCount }, (_, index) => ({
    index,
    uuid: `GPU-${i}-${index}`,
    name: "NVIDIA GeForce RTX 4090",
    vram_total_gb: 24,
    vram_used_gb: 4,
    vram_available_gb: 20,
    utilization_percent: 10,
    temperature_c: 40
  }));
  return {
    ...h,
    resources: { ...h.resources, gpu_type: gpuCount > 0 ? ("nvidia" as const) : ("none" as const), gpu_count: gpus.length, gpu_vram_total_gb: 24 * gpus.length, gpu_vram_available_gb: 20 * gpus.length, gpus }
  };
};

const main = async (): Promise<number> => {
  const db = await createDatabase(adminUrl, `bench_${randomBytes(4).toString("hex")}_scrape`);
  const registry = registryLayer(postgresDatabase(Redacted.make(db.url)));
  const runtime = ManagedRuntime.make(OrchestratorMetrics.layer.pipe(Layer.provideMerge(registry)));
  try {
    const context = await runtime.runPromise(Effect.context<AgentRegistry | WorkRegistry | OrchestratorMetrics>());
    const agents = Context.get(context, AgentRegistry);
    const work = Context.get(context, WorkRegistry);
    const metrics = Context.get(context, OrchestratorMetrics);
    const run = <A, E>(effect: Effect.Effect<A, E>) => runtime.runPromise(effect);

    log(`registering ${fmt(agentCount)} agents with ${gpuCount} GPUs each`);
    const fleet = Array.from({ length: agentCount }, (_, i) => withGpus(i));
    for (let i = 0; i < fleet.length; i += 500) await run(agents.applyHeartbeats(fleet.slice(i, i + 500)));
    for (let i = 0; i < 200; i++) {
      await run(work.route({ work_id: randomUUID(), kind: KINDS[i % KINDS.length] ?? "echo", params: {}, requirements: { min_vram_gb: 2 }, timeout_seconds: 600 }));
    }
    for (let i = 0; i < 5; i++) {
      await run(agents.fleet);
      await run(agents.listAgents({}));
      await run(metrics.render);
    }

    log(`${fmt(scrapes)} scrapes`);
    const baseline: Array<number> = [];
    const listed: Array<number> = [];
    const scraped: Array<number> = [];
    let cpu = 0;
    let text = "";
    for (let i = 0; i < scrapes; i++) {
      baseline.push((await timed(() => run(agents.fleet)))[0]);
      listed.push((await timed(() => run(agents.listAgents({}))))[0]);
      const before = (await ownCpuMs());
      const [ms, rendered] = await timed(() => run(metrics.render));
      cpu += (await ownCpuMs()) - before;
      scraped.push(ms);
      text = rendered;
    }
    const series = text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length;
    const b = latencyStats(baseline);
    const s = latencyStats(scraped);
    const row = (name: string, what: string, x: { p50: number; p99: number; max: number }) =>
      `| ${name} | ${what} | ${fmt(x.p50, 2)} | ${fmt(x.p99, 2)} | ${fmt(x.max, 2)} | ${fmt(x.p50 / b.p50, 1)} | ${fmt(x.p99 / b.p99, 1)} |`;
    console.log(
      [
        `## /metrics scrape: ${fmt(agentCount)} agents × ${gpuCount} GPUs, ${fmt(scrapes)} scrapes`,
        "",
        `node ${process.version}, ${new Date().toISOString()}; PostgreSQL local; one at a time; exposition ${fmt(text.length / 1024)} KiB, ${fmt(series)} samples; this process's CPU per scrape: ${fmt(cpu / scrapes, 1)} ms.`,
        "",
        "| measurement | what ran | p50 ms | p99 ms | max ms | p50 ÷ baseline | p99 ÷ baseline |",
        "|---|---|---|---|---|---|---|",
        row("baseline", "AgentRegistry.fleet: every agent's figures for the series, GPUs included", b),
        row("listAgents", "AgentRegistry.listAgents({}): every agent, whole metrics JSON schema-checked (for comparison)", latencyStats(listed)),
        row("scrape", "OrchestratorMetrics.render: registry read, bookings, every series set, text rendered", s),
        "",
        `target "a scrape of 1,000 agents × 4 GPUs under ${TARGET_MS} ms": ${agentCount >= 1000 && gpuCount >= 4 ? passFail(s.p99 < TARGET_MS) : "not tested (smaller fleet)"} (p99 ${fmt(s.p99, 2)} ms)`
      ].join("\n")
    );
    return 0;
  } finally {
    await runtime.dispose().catch((e: unknown) => log(`closing the registry: ${errorText(e)}`));
  }
};

runBench(main);
