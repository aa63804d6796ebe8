/**
 * Benchmark: placing queued work when room appears, with a long queue and a
 * large fleet, against the plain routing decision measured in the same run.
 *
 *   npx tsx tools/bench/queue.ts [agents=1000] [queued=10000] [events=300]
 *
 * A fresh database (bench_<random>_queue on the local PostgreSQL, dropped at
 * the end) gets `agents` agents (the router benchmark's fleet, each
 * advertising 2 slots); requirement-less jobs fill every slot; then `queued`
 * jobs of the router benchmark's mix (random kinds, VRAM 2-20 GB, some cores
 * or memory, some nothing) are queued. Then, `events` times, one after another:
 * - baseline: WorkRegistry.route of one job of the same mix on the same
 *   fleet (choose and book under the routing lock, without the 409
 *   diagnosis, as POST /work calls it when it may queue; released at once
 *   when booked);
 * - freed → placed: one running job gets its result (its agent has a free
 *   slot now), then WorkRegistry.place([that agent]), the pass a heartbeat
 *   batch or a result triggers, is timed until it has booked the queue's
 *   first job that fits there (or found none);
 * - batch pass: WorkRegistry.place over 500 agents none of which has room,
 *   the extra work every heartbeat batch of 500 adds when nothing fits;
 * - periodic pass (20 times at the end): WorkRegistry.place over every agent.
 * Reported: p50/p99/max and ratios to the baseline, CPU of this process per
 * placement from /proc/self/stat (the database's CPU is not in it). Target:
 * freed → placed p99 < 100 ms with 10,000 waiting. DATABASE_URL = an admin
 * URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { type Effect, ManagedRuntime, Redacted } from "effect";
import type { WorkResult } from "@homelab/protocol";
import { AgentRegistry, postgresDatabase, RegistryDatabase, registryLayer, WorkRegistry } from "@homelab/registry";
import { assertLocalUrl } from "../loadgen/agents.ts";
import { ownCpuMs } from "./procstat.ts";
import { agentHeartbeat, KINDS, pick, routedRequest } from "./fleet.ts";
import { createDatabase, errorText, fmt, latencyStats, log, passFail, runBench, timed, wholeArg } from "./support.ts";

const usage = "usage: queue.ts [agents=1000] [queued=10000] [events=300]";
const arg = (index: number, fallback: number, min: number, max: number): number => wholeArg(usage, index, fallback, min, max);
const agentCount = arg(2, 1000, 2, 100_000);
const queuedCount = arg(3, 10_000, 1, 1_000_000);
const events = arg(4, 300, 10, 100_000);
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
assertLocalUrl(adminUrl);

const TARGET_P99_MS = 100;
const SLOTS = 2;

const resultOf = (workId: string, agentId: string): WorkResult => {
  const now = new Date().toISOString();
  return { work_id: workId, agent_id: agentId, status: "succeeded", exit_code: 0, output: "", error: null, started_at: now, finished_at: now } as WorkResult;
};

const main = async (): Promise<number> => {
  const db = await createDatabase(adminUrl, `bench_${randomBytes(4).toString("hex")}_queue`);
  const runtime = ManagedRuntime.make(registryLayer(postgresDatabase(Redacted.make(db.url))));
  try {
    const agents = await runtime.runPromise(AgentRegistry);
    const work = await runtime.runPromise(WorkRegistry);
    const run = <A, E>(effect: Effect.Effect<A, E>) => runtime.runPromise(effect);

    log(`registering ${fmt(agentCount)} agents with ${SLOTS} slots each`);
    const fleet = Array.from({ length: agentCount }, (_, i) => agentHeartbeat(i, SLOTS));
    for (let i = 0; i < fleet.length; i += 500) await run(agents.applyHeartbeats(fleet.slice(i, i + 500)));
    const ids = fleet.map((h) => h.agent_id);

    log("filling every slot");
    const running: Array<{ work_id: string; agent_id: string }> = [];
    for (const kind of KINDS) {
      for (;;) {
        const outcome = await run(work.route({ work_id: randomUUID(), kind, params: {}, requirements: {}, timeout_seconds: 600 }));
        if (outcome._tag !== "Booked") break;
        running.push({ work_id: outcome.work.work_id, agent_id: outcome.work.agent_id ?? "" });
      }
    }
    log(`${fmt(running.length)} jobs running; queueing ${fmt(queuedCount)}`);
    for (let i = 0; i < queuedCount; i++) {
      await run(work.enqueue(routedRequest(), { priority: i % 10 === 0 ? 1 : 0, maxWaitSeconds: undefined }));
    }
    const database = await runtime.runPromise(RegistryDatabase);
    await run(database.use("analyze", (d) => d.execute(sql`analyze agent_registry; analyze work`)));

    // Warm-up: plans cached, pool connections open.
    for (let i = 0; i < 10; i++) {
      await run(work.place([pick(ids)]));
      const o = await run(work.route({ ...routedRequest(), requirements: { min_vram_gb: 1000 } }));
      void o;
    }

    log(`${fmt(events)} events`);
    const baseline: Array<number> = [];
    const placedMs: Array<number> = [];
    const batchMs: Array<number> = [];
    let placed = 0;
    let cpuPlacing = 0;
    const fullBatch = () => Array.from({ length: 500 }, () => pick(ids));
    for (let i = 0; i < events; i++) {
      const [routeMs, outcome] = await timed(() => run(work.route(routedRequest(), 0, false)));
      baseline.push(routeMs);
      if (outcome._tag === "Booked") await run(work.recordResult(resultOf(outcome.work.work_id, outcome.work.agent_id ?? "")));

      const done = running.splice(Math.floor(Math.random() * running.length), 1)[0];
      if (done === undefined) break;
      await run(work.recordResult(resultOf(done.work_id, done.agent_id)));
      const cpuBefore = (await ownCpuMs());
      const [ms, booked] = await timed(() => run(work.place([done.agent_id])));
      cpuPlacing += (await ownCpuMs()) - cpuBefore;
      placedMs.push(ms);
      placed += booked.length;
      for (const b of booked) running.push({ work_id: b.work_id, agent_id: b.agent_id ?? "" });

      batchMs.push((await timed(() => run(work.place(fullBatch()))))[0]);
    }
    // The periodic pass over every agent (every OFFLINE_SWEEP_INTERVAL_SECONDS), with no room anywhere.
    const periodicMs: Array<number> = [];
    for (let i = 0; i < 20; i++) periodicMs.push((await timed(() => run(work.place(undefined))))[0]);
    const waiting = (await run(work.queue(1_000_000))).length;
    const b = latencyStats(baseline);
    const p = latencyStats(placedMs);
    const q = latencyStats(batchMs);
    const all = latencyStats(periodicMs);
    const row = (name: string, what: string, s: { p50: number; p99: number; max: number }) =>
      `| ${name} | ${what} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.max, 2)} | ${fmt(s.p50 / b.p50, 1)} | ${fmt(s.p99 / b.p99, 1)} |`;
    console.log(
      [
        `## Queue placement: ${fmt(agentCount)} agents, ${fmt(queuedCount)} queued, ${fmt(events)} events`,
        "",
        `node ${process.version}, ${new Date().toISOString()}; PostgreSQL local; one operation at a time; ${fmt(placed)} of ${fmt(events)} freed slots taken by a queued job, ${fmt(waiting)} still waiting at the end. This process's CPU per placement pass: ${fmt(cpuPlacing / events, 2)} ms (the database's own CPU is not in it).`,
        "",
        "| measurement | what ran | p50 ms | p99 ms | max ms | p50 ÷ baseline | p99 ÷ baseline |",
        "|---|---|---|---|---|---|---|",
        row("baseline", "WorkRegistry.route of one job (choose + book under the routing lock)", b),
        row("freed → placed", "WorkRegistry.place([agent]) after one of its jobs ended: finds and books the queue's first job that fits there", p),
        row("batch pass", "WorkRegistry.place over 500 agents with no room (what each heartbeat batch adds)", q),
        row("periodic pass", "WorkRegistry.place over every agent with no room anywhere (20 runs)", all),
        "",
        `target "freed → placed p99 < ${TARGET_P99_MS} ms with 10,000 waiting": ${queuedCount >= 10_000 ? passFail(p.p99 < TARGET_P99_MS) : "not tested (fewer queued)"} (p99 ${fmt(p.p99, 2)} ms)`
      ].join("\n")
    );
    return 0;
  } finally {
    await runtime.dispose().catch((e: unknown) => log(`closing the registry: ${errorText(e)}`));
  }
};

runBench(main);
