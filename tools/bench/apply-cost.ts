/**
 * Benchmark: PostgreSQL's CPU per heartbeat for AgentRegistry.applyHeartbeats,
 * by batch size, on a fresh database of the local server: the share of a
 * heartbeat write that is per statement and the share that is per row.
 *
 *   npx tsx tools/bench/apply-cost.ts [agents=1000] [seconds=10] [sizes=25,137,500]
 *
 * For each batch size, batches of that many heartbeats (tools/loadgen's
 * simulated agents, round-robin) are applied one after another for
 * `seconds`; the CPU of the database's backends (utime+stime from /proc) is
 * divided by the heartbeats applied. A fit of cost = statement + rows × row
 * over the sizes splits it. Exit code 0 when measured, 2 when the run broke.
 *
 * What a part of the write costs, by leaving it out (never in production):
 * BENCH_HISTORY=0 writes no per-minute history samples; BENCH_DROP_INDEXES
 * (comma-separated index names of agent_registry, e.g.
 * agent_registry_status_last_heartbeat_idx) drops them after the migrations.
 */
import { Layer, ManagedRuntime, Redacted } from "effect";
import postgres from "postgres";
import type { StatusUpdate } from "@homelab/protocol";
import { AgentRegistry, AgentRegistryLive, postgresDatabase } from "@homelab/registry";
import { makeFleet, newRunId, nextHeartbeat } from "../loadgen/agents.ts";
import { cpuWindow, postgresGroups } from "./procstat.ts";
import { createDatabase, log, runBench, wholeArg } from "./support.ts";

const usage = "usage: apply-cost.ts [agents=1000] [seconds=10] [sizes=25,137,500]";
const agents = wholeArg(usage, 2, 1000, 1, 100_000);
const seconds = wholeArg(usage, 3, 10, 2, 600);
const sizes = (process.argv[4] ?? "25,137,500").split(",").map(Number);
if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 5000)) {
  console.error(`${usage}\n(sizes: batch sizes from 1 to 5000, comma-separated)`);
  process.exit(2);
}
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

runBench(async () => {
  const name = `bench_${newRunId()}_apply`;
  const db = await createDatabase(adminUrl, name);
  const runtime = ManagedRuntime.make(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(db.url)))));
  try {
    const registry = await runtime.runPromise(AgentRegistry.useSync((r) => r));
    const dropped = (process.env["BENCH_DROP_INDEXES"] ?? "").split(",").filter(Boolean);
    if (dropped.length > 0) {
      const admin = postgres(db.url, { max: 1, onnotice: () => undefined });
      try {
        for (const index of dropped) await admin.unsafe(`drop index ${JSON.stringify(index)}`);
      } finally {
        await admin.end();
      }
      log(`dropped ${dropped.join(", ")}`);
    }
    const history = process.env["BENCH_HISTORY"] !== "0";
    const apply = (batch: ReadonlyArray<StatusUpdate>) => runtime.runPromise(registry.applyHeartbeats(batch, { history }));
    const fleet = makeFleet(newRunId(), agents);
    let next = 0;
    const batchOf = (size: number) => {
      const now = new Date().toISOString();
      return Array.from({ length: size }, () => nextHeartbeat(fleet[next++ % fleet.length]!, now));
    };
    // Every agent registered first, so each size measures updates.
    for (let i = 0; i < agents; i += 500) await apply(batchOf(Math.min(500, agents - i)));
    const rows: Array<{ size: number; heartbeats: number; statements: number; pgMicros: number }> = [];
    for (const size of sizes) {
      const cpu = cpuWindow(postgresGroups(name).slice(0, 1));
      await cpu.start();
      let heartbeats = 0;
      let statements = 0;
      for (const until = Date.now() + seconds * 1000; Date.now() < until; ) {
        const batch = batchOf(size);
        await apply(batch);
        heartbeats += batch.length;
        statements += 1;
      }
      const report = await cpu.stop();
      const pg = report.groups[0]?.cpuSeconds ?? Number.NaN;
      rows.push({ size, heartbeats, statements, pgMicros: (pg / heartbeats) * 1e6 });
      log(`batches of ${size}: ${heartbeats} heartbeats in ${statements} statements, PostgreSQL ${pg.toFixed(2)} CPU s`);
    }
    // Least squares: µs per heartbeat × size = statement + size × row.
    const xs = rows.map((r) => r.size);
    const ys = rows.map((r) => r.pgMicros * r.size);
    const mean = (v: ReadonlyArray<number>) => v.reduce((a, b) => a + b, 0) / v.length;
    const mx = mean(xs);
    const my = mean(ys);
    const row = xs.reduce((s, x, i) => s + (x - mx) * ((ys[i] ?? 0) - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const statement = my - row * mx;
    console.log(`\nPostgreSQL CPU per heartbeat, applyHeartbeats on ${agents} registered agents, history ${history ? "on" : "off"}, indexes dropped: ${dropped.join(", ") || "none"} (${new Date().toISOString()}):\n`);
    console.log("| batch size | heartbeats | statements | PostgreSQL µs per heartbeat |");
    console.log("|---|---|---|---|");
    for (const r of rows) console.log(`| ${r.size} | ${r.heartbeats} | ${r.statements} | ${r.pgMicros.toFixed(1)} |`);
    if (rows.length > 1) console.log(`\nfit: ${statement.toFixed(0)} µs per statement + ${row.toFixed(1)} µs per row`);
    return 0;
  } finally {
    await runtime.dispose();
    await db.drop();
  }
});
