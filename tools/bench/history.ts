/**
 * Benchmark: what the per-minute history costs heartbeat ingest, measured as
 * A/B in one run on one database.
 *
 *   npx tsx tools/bench/history.ts [rounds=6] [seconds=10] [agents=1000]
 *
 * AgentRegistry.applyHeartbeats in batches of 500 (the orchestrator's batch),
 * back to back, as the ingest benchmark's "database alone" (b.) does, on a
 * fresh database (bench_<random>_history, dropped at the end). Each round runs
 * `seconds` with history off (HISTORY_RETENTION_DAYS=0: no history write) and
 * `seconds` with it on, alternating which goes first, so drift on a noisy
 * machine hits both alike. The run spans minute boundaries, where every
 * agent's first heartbeat of the minute inserts a sample. Reported per mode:
 * heartbeats/s inside applyHeartbeats, and PostgreSQL's and this process's
 * CPU per heartbeat (/proc); the ratio on ÷ off. Target (issue #16): history
 * costs at most 10 % of the rate.
 */
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { Layer, ManagedRuntime, Redacted } from "effect";
import { AgentRegistry, AgentRegistryLive, postgresDatabase } from "@homelab/registry";
import { makeFleet, newRunId, nextHeartbeat } from "../loadgen/agents.ts";
import { cpuWindow, postgresGroups } from "./procstat.ts";
import { createDatabase, errorText, fmt, log, passFail, runBench, wholeArg } from "./support.ts";

const usage = "usage: history.ts [rounds=6] [seconds=10] [agents=1000]";
const rounds = wholeArg(usage, 2, 6, 1, 100);
const seconds = wholeArg(usage, 3, 10, 1, 600);
const agentCount = wholeArg(usage, 4, 1000, 1, 100_000);
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const BATCH = 500;

interface Totals {
  heartbeats: number;
  applyMs: number;
  postgresCpuS: number;
  benchCpuS: number;
}

const main = async (): Promise<number> => {
  const name = `bench_${randomBytes(4).toString("hex")}_history`;
  const db = await createDatabase(adminUrl, name);
  const runtime = ManagedRuntime.make(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(db.url)))));
  try {
    const registry = await runtime.runPromise(AgentRegistry.useSync((r) => r));
    const fleet = makeFleet(newRunId(), agentCount);
    let next = 0;
    const batch = () => {
      const now = new Date().toISOString();
      return Array.from({ length: BATCH }, () => nextHeartbeat(fleet[next++ % fleet.length]!, now));
    };
    const totals: Record<"on" | "off", Totals> = {
      on: { heartbeats: 0, applyMs: 0, postgresCpuS: 0, benchCpuS: 0 },
      off: { heartbeats: 0, applyMs: 0, postgresCpuS: 0, benchCpuS: 0 }
    };
    // Every agent registered (and one sample each) before measuring.
    for (let i = 0; i < Math.ceil(agentCount / BATCH) * 2; i++) await runtime.runPromise(registry.applyHeartbeats(batch()));

    const window = async (mode: "on" | "off") => {
      const cpu = cpuWindow([...postgresGroups(name), { label: "bench", pids: [process.pid] }]);
      await cpu.start();
      const sampler = setInterval(() => void cpu.sample(), 1000);
      const start = performance.now();
      try {
        while (performance.now() - start < seconds * 1000) {
          const b = batch();
          const t = performance.now();
          await runtime.runPromise(registry.applyHeartbeats(b, { history: mode === "on" }));
          totals[mode].applyMs += performance.now() - t;
          totals[mode].heartbeats += b.length;
        }
      } finally {
        clearInterval(sampler);
      }
      const report = await cpu.stop();
      totals[mode].postgresCpuS += report.groups.filter((g) => g.label.startsWith("postgres")).reduce((s, g) => s + g.cpuSeconds, 0);
      totals[mode].benchCpuS += report.groups.find((g) => g.label === "bench")?.cpuSeconds ?? 0;
    };
    for (let r = 0; r < rounds; r++) {
      const order: ReadonlyArray<"on" | "off"> = r % 2 === 0 ? ["off", "on"] : ["on", "off"];
      for (const mode of order) await window(mode);
      log(`round ${r + 1}/${rounds} done`);
    }
    const rate = (t: Totals) => t.heartbeats / (t.applyMs / 1000);
    const us = (cpuS: number, t: Totals) => (cpuS * 1e6) / t.heartbeats;
    const row = (mode: "on" | "off") => {
      const t = totals[mode];
      return `| history ${mode} | ${fmt(t.heartbeats)} | ${fmt(rate(t))} | ${fmt(us(t.postgresCpuS, t), 1)} | ${fmt(us(t.benchCpuS, t), 1)} |`;
    };
    const ratio = rate(totals.on) / rate(totals.off);
    console.log(
      [
        `## History write cost: ${fmt(agentCount)} agents, batches of ${BATCH}, ${rounds} rounds × ${seconds} s per mode, alternating`,
        "",
        `node ${process.version}, ${new Date().toISOString()}; PostgreSQL local.`,
        "",
        "| mode | heartbeats | heartbeats/s in applyHeartbeats | PostgreSQL CPU µs / heartbeat | this process CPU µs / heartbeat |",
        "|---|---|---|---|---|",
        row("off"),
        row("on"),
        "",
        `rate with history ÷ without: ${fmt(ratio, 3)}; target "at most 10 % lower": ${passFail(ratio >= 0.9)}`
      ].join("\n")
    );
    return 0;
  } finally {
    await runtime.dispose().catch((e: unknown) => log(`closing the registry: ${errorText(e)}`));
    await db.drop().catch((e: unknown) => log(`dropping ${name}: ${errorText(e)}`));
  }
};

runBench(main);
