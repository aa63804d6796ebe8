/**
 * Benchmark: the orchestrator's resident memory on its two registry drivers,
 * side by side, under a small fleet's heartbeats, against a bare
 * `node -e "setInterval(() => {}, 1000)"` measured in the same run.
 *
 *   npx nx run orchestrator:build && npx tsx tools/bench/footprint.ts [agents=25] [seconds=60]
 *
 * The orchestrator runs as deployed (`node --enable-source-maps dist/apps/orchestrator/main.mjs`),
 * three times in turn, each with a reply queue and HTTP port of its own:
 *   1. PGlite in a fresh, empty DATA_DIR (no DATABASE_URL): a newcomer's first start;
 *   2. PGlite again on that DATA_DIR: every later start;
 *   3. PostgreSQL, on a fresh database of the local server.
 * Each run waits for /readyz, then `agents` simulated agents (tools/loadgen)
 * heartbeat every 5 s each for `seconds` (the default interval is 30 s: this
 * is six times the steady load, to keep the run short). VmRSS is sampled every
 * second; "idle" is the load window (a fleet heartbeating, nothing else asked),
 * peak is VmHWM, the most the process was ever resident, start-up included.
 *
 * BENCH_ONLY=pglite|postgres runs one driver; BENCH_NODE_FLAGS adds node flags
 * (e.g. "--max-semi-space-size=1"); the environment (MALLOC_ARENA_MAX, …)
 * passes through to the orchestrator.
 *
 * Exit code: 0 measured and every target met; 1 measured, a target missed;
 * 2 no measurement. Linux only (reads /proc). AMQP_URL for the broker;
 * PostgreSQL at postgres://postgres@127.0.0.1:5432/postgres (BENCH_ADMIN_URL).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { deadLetterQueueName } from "@homelab/protocol";
import { metricSum, parseMetrics } from "@homelab/testing";
import { assertLocalUrl, DEFAULT_AMQP_URL, deleteQueues, runLoad } from "../loadgen/agents.ts";
import { memoryKb } from "./procstat.ts";
import {
  abort,
  checkAbort,
  children,
  createDatabase,
  exited,
  freePort,
  log,
  onCleanup,
  passFail,
  quantile,
  runBench,
  stopChild,
  tail,
  untilReady,
  wholeArg
} from "./support.ts";

const usage = "usage: footprint.ts [agents=25] [seconds=60]";
const agents = wholeArg(usage, 2, 25, 1, 10_000);
const seconds = wholeArg(usage, 3, 60, 10, 3600);
const HEARTBEAT_S = 5;
const TARGET_IDLE_MB = 200;
const READY_TIMEOUT_MS = 180_000;
/** After the load, how long the orchestrator may take to process what the broker confirmed. */
const SETTLE_MS = 15_000;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUNDLE = "dist/apps/orchestrator/main.mjs";
const amqpUrl = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
const adminUrl = process.env["BENCH_ADMIN_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
assertLocalUrl(amqpUrl);
assertLocalUrl(adminUrl);
const only = process.env["BENCH_ONLY"];
const nodeFlags = (process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter(Boolean);
/** As the systemd unit, the Docker image and `nx run orchestrator:serve` start it. */
const DEPLOYED_FLAGS = ["--enable-source-maps"];

const mb = (kb: number): string => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : "—");

interface Sample {
  readonly rss: number;
  readonly hwm: number;
  readonly inLoad: boolean;
}

interface Run {
  readonly label: string;
  readonly readySeconds: number;
  readonly readyKb: number;
  readonly idle: ReadonlyArray<number>;
  readonly hwmKb: number;
  readonly confirmed: number;
  readonly processed: number;
  readonly stop: string;
}

/** The baseline: a bare node process, sampled for the whole run. */
const startBaseline = () => {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.add(child);
  const stop = onCleanup("stop the baseline node", async () => void (await stopChild(child, 2000)));
  const samples: Array<Sample> = [];
  const timer = setInterval(() => {
    if (child.pid !== undefined) void memoryKb(child.pid).then((m) => m !== undefined && samples.push({ ...m, inLoad: true }));
  }, 1000);
  return {
    finish: async (): Promise<Run> => {
      clearInterval(timer);
      const last = child.pid === undefined ? undefined : await memoryKb(child.pid);
      await stop();
      const rss = samples.map((s) => s.rss);
      return {
        label: "baseline: node -e setInterval",
        readySeconds: Number.NaN,
        readyKb: rss[0] ?? Number.NaN,
        idle: rss,
        hwmKb: last?.hwm ?? Math.max(...samples.map((s) => s.hwm)),
        confirmed: Number.NaN,
        processed: Number.NaN,
        stop: "—"
      };
    }
  };
};

const processedOf = async (base: string): Promise<number> => {
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const scrape = parseMetrics(await res.text());
  return metricSum(scrape, "homelab_heartbeats_applied_total") + metricSum(scrape, "homelab_heartbeats_ignored_total");
};

/** One orchestrator: started, made ready, given the fleet's heartbeats for `seconds`, stopped. */
const measure = async (label: string, driverEnv: NodeJS.ProcessEnv): Promise<Run> => {
  const replyQueue = `bench.replies.${randomBytes(4).toString("hex")}`;
  const removeQueues = onCleanup(`delete queues ${replyQueue}`, () =>
    deleteQueues(amqpUrl, [replyQueue, deadLetterQueueName(replyQueue)])
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, AMQP_URL: amqpUrl, REPLY_QUEUE: replyQueue, HTTP_HOST: "127.0.0.1", HTTP_PORT: String(port), LOG_LEVEL: "warn" };
  // Env and defaults only: nothing of this machine's own orchestrator set-up may change the run.
  for (const key of ["ORCHESTRATOR_CONFIG", "DATABASE_URL", "DATA_DIR", "API_TOKEN", "METRICS_TOKEN", "ALERT_URLS"]) delete env[key];
  Object.assign(env, driverEnv);
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...DEPLOYED_FLAGS, ...nodeFlags, BUNDLE], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start the orchestrator");
  let stopText = "";
  const stopOrchestrator = onCleanup(`stop orchestrator (${label})`, async () => {
    const r = await stopChild(child);
    stopText = r.killed ? "killed after 15 s" : (r.signal ?? `code ${r.code}`);
  });
  const output = tail();
  child.stderr?.on("data", output.push);
  child.stdout?.on("data", output.push);
  let earlyExit: string | undefined;
  void exited(child).then((e) => (earlyExit ??= `exited with ${e.signal ?? `code ${e.code}`}`));

  const samples: Array<Sample> = [];
  let inLoad = false;
  // One sample a second, from the spawn to the stop.
  const timer = setInterval(() => {
    const phase = inLoad;
    void memoryKb(pid).then((m) => {
      if (m === undefined) return;
      samples.push({ ...m, inLoad: phase });
      const n = samples.filter((s) => s.inLoad).length;
      if (phase && n % 30 === 0) log(`${label}: ${n} s into the load, RSS ${mb(m.rss)} MB`);
    });
  }, 1000);
  try {
    const readySeconds = await untilReady({
      base,
      who: `the orchestrator (${label})`,
      spawnedAt,
      timeoutMs: READY_TIMEOUT_MS,
      exitedHow: () => earlyExit,
      output: output.text
    });
    const readyKb = (await memoryKb(pid))?.rss ?? Number.NaN;
    log(`${label}: ready in ${readySeconds.toFixed(1)} s at ${mb(readyKb)} MB; ${agents} agents, one heartbeat each every ${HEARTBEAT_S} s, for ${seconds} s`);

    const before = await processedOf(base);
    inLoad = true;
    const load = await runLoad({ amqpUrl, queue: replyQueue, agents, rate: agents / HEARTBEAT_S, seconds, connections: 1, signal: abort.signal });
    inLoad = false;
    checkAbort();
    if (earlyExit !== undefined) throw new Error(`the orchestrator (${label}) ${earlyExit} during the load:\n${output.text()}`);
    if (load.failed > 0) throw new Error(`${load.failed} heartbeats were not confirmed by the broker: ${load.firstError}`);
    let processed = (await processedOf(base)) - before;
    for (const until = performance.now() + SETTLE_MS; processed < load.confirmed && performance.now() < until; ) {
      await sleep(500);
      processed = (await processedOf(base)) - before;
    }
    const end = await memoryKb(pid);
    await stopOrchestrator();
    clearInterval(timer);
    if (output.text().trim() !== "") log(`${label}: orchestrator output (LOG_LEVEL=warn):\n${output.text().trimEnd()}`);
    return {
      label,
      readySeconds,
      readyKb,
      idle: samples.filter((s) => s.inLoad).map((s) => s.rss),
      hwmKb: Math.max(end?.hwm ?? 0, ...samples.map((s) => s.hwm)),
      confirmed: load.confirmed,
      processed,
      stop: stopText
    };
  } finally {
    clearInterval(timer);
    await stopOrchestrator();
    await removeQueues();
  }
};

const main = async (): Promise<number> => {
  const baseline = startBaseline();
  const runs: Array<Run> = [];
  if (only === undefined || only === "pglite") {
    const dataDir = await mkdtemp(path.join(tmpdir(), "bench-footprint-"));
    const removeDataDir = onCleanup(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    runs.push(await measure("PGlite, fresh DATA_DIR (first start)", { DATA_DIR: dataDir }));
    runs.push(await measure("PGlite, same DATA_DIR (restart)", { DATA_DIR: dataDir }));
    await removeDataDir();
  }
  if (only === undefined || only === "postgres") {
    const db = await createDatabase(adminUrl, `bench_footprint_${randomBytes(4).toString("hex")}`);
    runs.push(await measure("PostgreSQL, fresh database", { DATABASE_URL: db.url }));
    await db.drop();
  }
  runs.unshift(await baseline.finish());

  const flags = nodeFlags.length > 0 ? `, node flags ${nodeFlags.join(" ")}` : "";
  const arena = process.env["MALLOC_ARENA_MAX"] === undefined ? "" : `, MALLOC_ARENA_MAX=${process.env["MALLOC_ARENA_MAX"]}`;
  console.log(`orchestrator footprint: ${agents} agents, one heartbeat each every ${HEARTBEAT_S} s (${(agents / HEARTBEAT_S).toFixed(1)}/s), ` +
    `${seconds} s per run (node ${process.version}${flags}${arena}, ${new Date().toISOString()})`);
  console.log("");
  console.log("| process | ready after s | RSS at ready MB | idle RSS median MB | idle RSS max MB | peak RSS (VmHWM) MB | heartbeats confirmed / processed | exit after SIGTERM |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of runs) {
    const ready = Number.isNaN(r.readySeconds) ? "—" : r.readySeconds.toFixed(1);
    const beats = Number.isNaN(r.confirmed) ? "—" : `${r.confirmed} / ${r.processed}`;
    console.log(`| ${r.label} | ${ready} | ${mb(r.readyKb)} | ${mb(quantile(r.idle, 0.5))} | ${mb(Math.max(...r.idle))} | ${mb(r.hwmKb)} | ${beats} | ${r.stop} |`);
  }
  console.log("");
  console.log("MB = 1024² bytes of VmRSS, sampled every second. Idle: the samples over the load window (the baseline: the whole run). " +
    "Peak: VmHWM, start-up (and, for PGlite on a fresh DATA_DIR, initdb and the first migrations) included.");

  const targets = runs
    .filter((r) => r.label.startsWith("PGlite"))
    .map((r) => ({ name: `${r.label}: idle RSS max under ${TARGET_IDLE_MB} MB`, ok: Math.max(...r.idle) / 1024 < TARGET_IDLE_MB }));
  for (const r of runs.filter((r) => !Number.isNaN(r.confirmed))) {
    targets.push({ name: `${r.label}: every confirmed heartbeat processed`, ok: r.processed >= r.confirmed && r.confirmed > 0 });
  }
  console.log("");
  for (const t of targets) console.log(`target "${t.name}": ${passFail(t.ok)}`);
  return targets.every((t) => t.ok) ? 0 : 1;
};

runBench(main);
