// b. The database alone: AgentRegistry.applyHeartbeats in batches, back to back, no broker.
import { performance } from "node:perf_hooks";
import { Layer, ManagedRuntime, Redacted } from "effect";
import { type StatusUpdate } from "@homelab/protocol";
import { AgentRegistry, AgentRegistryLive, postgresDatabase } from "@homelab/registry";
import { makeFleet, nextHeartbeat } from "../../loadgen/agents.ts";
import { cpuWindow, type CpuReport } from "../procstat.ts";
import { checkAbort, log, onCleanup } from "../support.ts";
import { DB_BATCH, agentCount, baselineSeconds, createDatabase, postgresGroups, runId, suffix } from "./settings.ts";

// ---------------------------------------------------------------------------
// b. database alone

export interface DatabaseBaseline {
  readonly heartbeats: number;
  readonly batches: number;
  /** heartbeats / time spent in applyHeartbeats. */
  readonly applyRate: number;
  /** heartbeats / wall time of the loop (payload generation included). */
  readonly wallRate: number;
  readonly batchP50Ms: number;
  readonly batchP99Ms: number;
  readonly cpu: CpuReport;
}

export const databaseAlone = async (): Promise<DatabaseBaseline> => {
  const db = await createDatabase(`bench_${suffix}_db`);
  try {
    const runtime = ManagedRuntime.make(AgentRegistryLive.pipe(Layer.provide(postgresDatabase(Redacted.make(db.url)))));
    const dispose = onCleanup("dispose registry runtime (b)", () => runtime.dispose());
    try {
      const registry = await runtime.runPromise(AgentRegistry.useSync((r) => r));
      const fleet = makeFleet(`${runId}b`, agentCount);
      let next = 0;
      const batchOf = (): Array<StatusUpdate> => {
        const now = new Date().toISOString();
        return Array.from({ length: DB_BATCH }, () => {
          const agent = fleet[next % fleet.length]!;
          next += 1;
          return nextHeartbeat(agent, now);
        });
      };
      const cpu = cpuWindow([...postgresGroups(`bench_${suffix}_db`), { label: "bench (this node process)", pids: [process.pid] }]);
      await cpu.start();
      const sampler = setInterval(() => void cpu.sample(), 1000);
      const durations: Array<number> = [];
      let heartbeats = 0;
      let inApply = 0;
      const start = performance.now();
      try {
        while (performance.now() - start < baselineSeconds * 1000) {
          checkAbort();
          const batch = batchOf();
          const t = performance.now();
          const result = await runtime.runPromise(registry.applyHeartbeats(batch));
          const d = performance.now() - t;
          durations.push(d);
          inApply += d;
          heartbeats += batch.length;
          if (result.applied + result.ignored !== batch.length) {
            log(`database baseline: a batch of ${batch.length} came back as ${result.applied} applied + ${result.ignored} ignored`);
          }
        }
      } finally {
        clearInterval(sampler);
      }
      const wall = performance.now() - start;
      const cpuReport = await cpu.stop();
      durations.sort((a, b) => a - b);
      const q = (p: number) => durations[Math.min(durations.length - 1, Math.ceil(p * durations.length) - 1)] ?? Number.NaN;
      return {
        heartbeats,
        batches: durations.length,
        applyRate: heartbeats / (inApply / 1000),
        wallRate: heartbeats / (wall / 1000),
        batchP50Ms: q(0.5),
        batchP99Ms: q(0.99),
        cpu: cpuReport
      };
    } finally {
      await dispose();
    }
  } finally {
    await db.drop();
  }
};
