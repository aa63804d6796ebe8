/**
 * Benchmark: the router's decision time with a large registered fleet, against
 * a baseline measured in the same run.
 *
 *   npx tsx tools/bench/router.ts [agents=10000] [decisions=1000] [running=100]
 *
 * A fresh database (bench_<random>_router on the local PostgreSQL, dropped at
 * the end) gets `agents` agents through AgentRegistry.applyHeartbeats: 0–4
 * GPUs each with random free VRAM, random free cores and memory, 1–3 of six
 * task kinds. Then, one after another:
 * - baseline: AgentRegistry.getAgent of a random agent (a primary-key read on
 *   the same pool): the cost of a round trip to the database;
 * - routed: WorkRegistry.route for a random kind and random requirements
 *   (VRAM 2–20 GB on one GPU, some with cores or memory, some none): choose
 *   and book under the routing lock, one transaction; past `running` booked
 *   jobs the oldest gets its result, so that many jobs hold capacity at any
 *   time (the router sizes agents holding work exactly, so this matters);
 * - refused: requests nothing can meet (min_vram_gb 1000): the 409 path,
 *   which also diagnoses why.
 * The fleet is ANALYZEd after registration, as autovacuum would have done on
 * a database in use. Reported: p50/p99/max of each and the ratios to the baseline. Target:
 * routed p99 ≤ 20 ms with 10,000 agents. DATABASE_URL = an admin URL
 * (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { type Effect, ManagedRuntime, Redacted } from "effect";
import type { WorkResult } from "@homelab/protocol";
import { AgentRegistry, postgresDatabase, RegistryDatabase, registryLayer, WorkRegistry } from "@homelab/registry";
import { agentHeartbeat, pick, routedRequest } from "./fleet.ts";
import { assertLocalUrl } from "../loadgen/agents.ts";
import { createDatabase, errorText, fmt, latencyStats, log, passFail, runBench, timed, wholeArg } from "./support.ts";

const usage = "usage: router.ts [agents=10000] [decisions=1000] [running=100]";
const arg = (index: number, fallback: number, min: number, max: number): number => wholeArg(usage, index, fallback, min, max);
const agentCount = arg(2, 10_000, 1, 200_000);
const decisions = arg(3, 1000, 10, 100_000);
const running = arg(4, 100, 0, 100_000);
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
assertLocalUrl(adminUrl);

const TARGET_P99_MS = 20;

const main = async (): Promise<number> => {
  const db = await createDatabase(adminUrl, `bench_${randomBytes(4).toString("hex")}_router`);
  const layer = registryLayer(postgresDatabase(Redacted.make(db.url)));
  const runtime = ManagedRuntime.make(layer);
  try {
    const agents = await runtime.runPromise(AgentRegistry);
    const work = await runtime.runPromise(WorkRegistry);
    const run = <A, E>(effect: Effect.Effect<A, E>) => runtime.runPromise(effect);

    log(`registering ${fmt(agentCount)} agents`);
    const fleet = Array.from({ length: agentCount }, (_, i) => agentHeartbeat(i));
    for (let i = 0; i < fleet.length; i += 500) await run(agents.applyHeartbeats(fleet.slice(i, i + 500)));
    const ids = fleet.map((h) => h.agent_id);
    // Planner statistics, as autovacuum keeps them on a database that has been
    // running a while; right after a bulk load the planner guesses row counts
    // and may sort thousands of rows instead of reading the routing index.
    const database = await runtime.runPromise(RegistryDatabase);
    await run(database.use("analyze", (d) => d.execute(sql`analyze agent_registry`)));

    // Warm-up: plans cached, pool connections open.
    for (let i = 0; i < 20; i++) {
      await run(agents.getAgent(pick(ids)));
      await run(work.route(routedRequest()));
    }

    log(`${fmt(decisions)} decisions of each kind`);
    const baseline: Array<number> = [];
    const routed: Array<number> = [];
    const refused: Array<number> = [];
    let booked = 0;
    let released = 0;
    const active: Array<{ work_id: string; agent_id: string }> = [];
    for (let i = 0; i < decisions; i++) {
      baseline.push((await timed(() => run(agents.getAgent(pick(ids)))))[0]);
      const [ms, outcome] = await timed(() => run(work.route(routedRequest())));
      routed.push(ms);
      if (outcome._tag === "Booked") {
        booked++;
        active.push({ work_id: outcome.work.work_id, agent_id: outcome.work.agent_id ?? "" });
        while (active.length > running) {
          const done = active.shift();
          if (done === undefined) break;
          const now = new Date().toISOString();
          await run(
            work.recordResult({ ...done, status: "succeeded", exit_code: 0, output: "", error: null, started_at: now, finished_at: now } as WorkResult)
          );
          released++;
        }
      }
      refused.push(
        (await timed(() => run(work.route({ ...routedRequest(), requirements: { min_vram_gb: 1000 } }))))[0]
      );
    }
    const b = latencyStats(baseline);
    const r = latencyStats(routed);
    const f = latencyStats(refused);
    const row = (name: string, what: string, s: { p50: number; p99: number; max: number }) =>
      `| ${name} | ${what} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.max, 2)} | ${fmt(s.p50 / b.p50, 1)} | ${fmt(s.p99 / b.p99, 1)} |`;
    console.log(
      [
        `## Router decision time: ${fmt(agentCount)} agents, ${fmt(decisions)} decisions each`,
        "",
        `node ${process.version}, ${new Date().toISOString()}; PostgreSQL local; one decision at a time; ${fmt(booked)} of ${fmt(decisions)} routed requests booked (${fmt(decisions - booked)} found no room), at most ${fmt(running)} holding capacity at once (${fmt(released)} released by a result).`,
        "",
        "| measurement | what ran | p50 ms | p99 ms | max ms | p50 ÷ baseline | p99 ÷ baseline |",
        "|---|---|---|---|---|---|---|",
        row("baseline", "AgentRegistry.getAgent (primary-key read, same pool)", b),
        row("routed", "WorkRegistry.route: choose + book under the routing lock, one transaction", r),
        row("refused", "WorkRegistry.route nothing can meet: the 409 path with its diagnosis", f),
        "",
        `target "router p99 ≤ ${TARGET_P99_MS} ms with 10,000 agents": ${agentCount >= 10_000 ? passFail(r.p99 <= TARGET_P99_MS) : "not tested (fewer agents)"} (p99 ${fmt(r.p99, 2)} ms)`
      ].join("\n")
    );
    return 0;
  } finally {
    await runtime.dispose().catch((e: unknown) => log(`closing the registry: ${errorText(e)}`));
  }
};

runBench(main);
