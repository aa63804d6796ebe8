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
 *
 * A change to the database measured against its baseline in the same run:
 * BENCH_VARIANT_SQL="…" opens two databases alike, runs that SQL on the
 * second after the migrations (e.g. "drop index agent_registry_route_vram_idx"),
 * and alternates windows of `seconds` between them, BENCH_ROUNDS rounds
 * (default 8, the order swapped every round), per batch size. It prints each
 * round's variant ÷ baseline and their median: on this shared machine the
 * CPU per heartbeat drifts by up to 30 % within an hour, and only windows
 * side by side compare. BENCH_VARIANT_SQL="select 1" compares two identical
 * databases: the spread of that ratio is what the run can resolve.
 *
 *   BENCH_VARIANT_SQL="drop index agent_registry_route_vram_idx" npx tsx tools/bench/apply-cost.ts 1000 3 137
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
const history = process.env["BENCH_HISTORY"] !== "0";
const dropped = (process.env["BENCH_DROP_INDEXES"] ?? "").split(",").filter(Boolean);
const variantSql = process.env["BENCH_VARIANT_SQL"];
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 8);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) {
  console.error("BENCH_ROUNDS: a whole number of rounds from 1 to 100");
  process.exit(2);
}

/** A fresh database with the registry migrated, every agent registered, and `setup` run on it. */
const openBed = async (label: string, setup: ReadonlyArray<string>) => {
  const name = `bench_${newRunId()}_${label}`;
  const db = await createDatabase(adminUrl, name);
  const runtime = ManagedRuntime.make(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(db.url)))));
  const close = async () => {
    await runtime.dispose();
    await db.drop();
  };
  try {
    const registry = await runtime.runPromise(AgentRegistry.useSync((r) => r));
    if (setup.length > 0) {
      const admin = postgres(db.url, { max: 1, onnotice: () => undefined });
      try {
        for (const statement of setup) await admin.unsafe(statement);
      } finally {
        await admin.end();
      }
    }
    const apply = (batch: ReadonlyArray<StatusUpdate>) => runtime.runPromise(registry.applyHeartbeats(batch, { history }));
    const fleet = makeFleet(newRunId(), agents);
    let next = 0;
    const batchOf = (size: number) => {
      const now = new Date().toISOString();
      return Array.from({ length: size }, () => nextHeartbeat(fleet[next++ % fleet.length]!, now));
    };
    // Every agent registered first, so each size measures updates.
    for (let i = 0; i < agents; i += 500) await apply(batchOf(Math.min(500, agents - i)));
    /** Batches of `size` back to back for `seconds`: the backends' CPU ÷ heartbeats. */
    const measure = async (size: number) => {
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
      return { heartbeats, statements, pgSeconds: pg, pgMicros: (pg / heartbeats) * 1e6 };
    };
    return { measure, close };
  } catch (e) {
    await close();
    throw e;
  }
};

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Each size measured once on one database; the fit splits statement and row. */
const sequential = async (): Promise<number> => {
  const bed = await openBed("apply", dropped.map((index) => `drop index ${JSON.stringify(index)}`));
  try {
    if (dropped.length > 0) log(`dropped ${dropped.join(", ")}`);
    const rows: Array<{ size: number; heartbeats: number; statements: number; pgMicros: number }> = [];
    for (const size of sizes) {
      const m = await bed.measure(size);
      rows.push({ size, ...m });
      log(`batches of ${size}: ${m.heartbeats} heartbeats in ${m.statements} statements, PostgreSQL ${m.pgSeconds.toFixed(2)} CPU s`);
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
    await bed.close();
  }
};

/** Baseline and variant side by side, window after window. */
const compared = async (variant: string): Promise<number> => {
  const baseline = await openBed("base", dropped.map((index) => `drop index ${JSON.stringify(index)}`));
  try {
    const other = await openBed("variant", [...dropped.map((index) => `drop index ${JSON.stringify(index)}`), variant]);
    try {
      console.log(`\nPostgreSQL CPU per heartbeat, baseline and variant alternating (${rounds} rounds of ${seconds} s each), ${agents} registered agents, ` +
        `history ${history ? "on" : "off"}; variant: \`${variant}\` (${new Date().toISOString()}):\n`);
      console.log("| batch size | baseline µs per round | variant µs per round | variant ÷ baseline per round | median ratio |");
      console.log("|---|---|---|---|---|");
      for (const size of sizes) {
        const base: Array<number> = [];
        const vary: Array<number> = [];
        for (let round = 0; round < rounds; round++) {
          // Swapped every round: neither always runs first.
          if (round % 2 === 0) {
            base.push((await baseline.measure(size)).pgMicros);
            vary.push((await other.measure(size)).pgMicros);
          } else {
            vary.push((await other.measure(size)).pgMicros);
            base.push((await baseline.measure(size)).pgMicros);
          }
          log(`batches of ${size}, round ${round + 1}: baseline ${base[round]!.toFixed(1)} µs, variant ${vary[round]!.toFixed(1)} µs`);
        }
        const ratios = vary.map((v, i) => v / base[i]!);
        const list = (v: ReadonlyArray<number>, digits: number) => v.map((x) => x.toFixed(digits)).join(", ");
        console.log(`| ${size} | ${list(base, 1)} | ${list(vary, 1)} | ${list(ratios, 2)} | **${median(ratios).toFixed(3)}** |`);
      }
      return 0;
    } finally {
      await other.close();
    }
  } finally {
    await baseline.close();
  }
};

runBench(() => (variantSql === undefined ? sequential() : compared(variantSql)));
