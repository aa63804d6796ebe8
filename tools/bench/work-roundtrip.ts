/**
 * Benchmark: submit → result round trip of a trivial job through the real
 * orchestrator and the real desktop agent, against baselines measured in the
 * same run.
 *
 *   npx nx run orchestrator:build && npx nx run desktop-agent:build && npx tsx tools/bench/work-roundtrip.ts [jobs=50]
 *
 * Both apps run as deployed (their bundles in dist/) on a fresh database
 * (bench_<random>_work, dropped at the end) and queues of their own (deleted
 * at the end). The agent's config has one kind, `echo` → ["echo", "{message}"].
 * Each job, one after another: POST /work {kind: echo}, then GET /work/:id
 * every 2 ms until it has ended; the time from sending the POST to reading
 * `succeeded`. Baselines, same run, same count:
 * - HTTP read: GET /work/:id of a finished job (HTTP + one database read);
 * - process: spawning `echo` from this process and waiting for it to exit
 *   (what the agent itself must do per job).
 * DATABASE_URL (an admin URL) and AMQP_URL as for the apps.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName, workQueueName } from "@homelab/protocol";
import { eventually } from "@homelab/testing";
import { assertLocalUrl, DEFAULT_AMQP_URL } from "../loadgen/agents.ts";
import {
  children,
  createDatabase,
  errorText,
  fmt,
  freePort,
  log,
  onCleanup,
  quantile,
  runBench,
  stopChild,
  tail
} from "./support.ts";

const raw = process.argv[2];
const jobs = raw === undefined ? 50 : Number(raw);
if (!Number.isInteger(jobs) || jobs < 5 || jobs > 10_000) {
  console.error(`usage: work-roundtrip.ts [jobs=50] (a whole number from 5 to 10000; got "${raw}")`);
  process.exit(2);
}
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const amqpUrl = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
assertLocalUrl(adminUrl);
assertLocalUrl(amqpUrl);
const suffix = randomBytes(4).toString("hex");

const startApp = (name: string, bundle: string, env: NodeJS.ProcessEnv) => {
  const child = spawn(process.execPath, [bundle], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  const stderr = tail();
  child.stderr?.on("data", (d: Buffer) => stderr.push(d));
  onCleanup(`stop ${name}`, async () => void (await stopChild(child)));
  return { child, stderr };
};


const main = async (): Promise<number> => {
  const db = await createDatabase(adminUrl, `bench_${suffix}_work`);
  const replyQueue = `bench.work.replies.${suffix}`;
  const agentId = `bench-worker-${suffix}`;
  const admin = new Connection({ url: amqpUrl, noDelay: true });
  onCleanup("close admin connection", () => admin.close());
  onCleanup("delete queues", async () => {
    for (const queue of [replyQueue, deadLetterQueueName(replyQueue), workQueueName(agentId)]) await admin.queueDelete({ queue });
  });
  const dir = await mkdtemp(path.join(tmpdir(), "bench-work-"));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, "agent.yaml");
  await writeFile(config, 'tasks:\n  echo:\n    command: ["echo", "{message}"]\n    timeout_seconds: 30\n');

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const orchestrator = startApp("orchestrator", "dist/apps/orchestrator/main.mjs", {
    AMQP_URL: amqpUrl,
    REPLY_QUEUE: replyQueue,
    DATABASE_URL: db.url,
    DATA_DIR: dir,
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: String(port),
    LOG_LEVEL: "warn",
    ORCHESTRATOR_CONFIG: "",
    API_TOKEN: ""
  });
  await eventually("orchestrator ready", async () => (await fetch(`${base}/readyz`)).status, (s) => s === 200, 60_000).catch((e: unknown) => {
    throw new Error(`${errorText(e)}\n${orchestrator.stderr.text()}`);
  });
  const agent = startApp("agent", "dist/apps/desktop-agent/main.mjs", {
    AMQP_URL: amqpUrl,
    REPLY_QUEUE: replyQueue,
    AGENT_ID: agentId,
    AGENT_CONFIG: config,
    GPU_BACKEND: "none",
    HEARTBEAT_INTERVAL_SECONDS: "5",
    LOG_LEVEL: "warn"
  });
  await eventually("agent online", async () => (await fetch(`${base}/agents/${agentId}`)).status, (s) => s === 200, 30_000).catch((e: unknown) => {
    throw new Error(`${errorText(e)}\n${agent.stderr.text()}`);
  });

  const submitAndWait = async (message: string): Promise<{ ms: number; id: string; state: string }> => {
    const start = performance.now();
    const response = await fetch(`${base}/work`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "echo", params: { message }, timeout_seconds: 30 })
    });
    const posted = (await response.json()) as { work_id?: string; error?: string };
    if (response.status !== 202 || posted.work_id === undefined) throw new Error(`POST /work answered ${response.status}: ${posted.error}`);
    const id = posted.work_id;
    for (;;) {
      const work = (await (await fetch(`${base}/work/${id}`)).json()) as { state: string };
      if (!["pending", "dispatched", "running"].includes(work.state)) return { ms: performance.now() - start, id, state: work.state };
      if (performance.now() - start > 30_000) throw new Error(`work ${id} still ${work.state} after 30 s`);
      await sleep(2);
    }
  };

  log(`warm-up, then ${jobs} jobs one after another`);
  for (let i = 0; i < 3; i++) await submitAndWait(`warm-up ${i}`);
  const roundTrips: Array<number> = [];
  const reads: Array<number> = [];
  const spawns: Array<number> = [];
  let lastId = "";
  const states = new Map<string, number>();
  for (let i = 0; i < jobs; i++) {
    const done = await submitAndWait(`job ${i}`);
    roundTrips.push(done.ms);
    states.set(done.state, (states.get(done.state) ?? 0) + 1);
    lastId = done.id;
    const readStart = performance.now();
    await (await fetch(`${base}/work/${lastId}`)).json();
    reads.push(performance.now() - readStart);
    const spawnStart = performance.now();
    await new Promise<void>((resolve, reject) => execFile("echo", [`job ${i}`], (e) => (e ? reject(e) : resolve())));
    spawns.push(performance.now() - spawnStart);
  }
  const median = quantile(roundTrips, 0.5);
  const row = (name: string, what: string, ms: ReadonlyArray<number>) =>
    `| ${name} | ${what} | ${fmt(quantile(ms, 0.5), 1)} | ${fmt(quantile(ms, 0.9), 1)} | ${fmt(Math.max(...ms), 1)} | ${fmt(median / quantile(ms, 0.5), 1)} |`;
  console.log(
    [
      `## Work round trip: POST /work → result, ${jobs} jobs of kind echo, one after another`,
      "",
      `node ${process.version}, ${new Date().toISOString()}; orchestrator and agent bundles, PostgreSQL and RabbitMQ local; results: ${[...states].map(([s, n]) => `${n} ${s}`).join(", ")}. The round trip includes polling GET /work/:id every 2 ms.`,
      "",
      "| measurement | what ran | median ms | p90 ms | max ms | round trip ÷ this (medians) |",
      "|---|---|---|---|---|---|",
      row("round trip", "POST /work → route + book → work_request → agent runs echo → work_result → stored → read back", roundTrips),
      row("baseline: HTTP read", "GET /work/:id of a finished job", reads),
      row("baseline: process", "spawn `echo` and wait for its exit, from this process", spawns)
    ].join("\n")
  );
  return states.get("succeeded") === jobs ? 0 : 2;
};

runBench(main);
