/**
 * Load generator CLI: simulated agents publishing heartbeats to a reply queue.
 *
 *   npx tsx tools/loadgen/main.ts --agents 1000 --rate 5000 --seconds 60 --queue orchestrator.replies
 *
 * Options: --agents N (100), --rate MSG_PER_S (1000; "max" = as fast as the
 * window allows), --seconds S (10), --queue NAME (orchestrator.replies),
 * --connections N (2), --window N (1000 unconfirmed in flight), --run ID
 * (random; agent ids are sim-<run>-<n>). AMQP_URL (default
 * amqp://guest:guest@127.0.0.1:5672; 127.0.0.1 only).
 *
 * The queue is declared with the protocol's topology and left in place (it is
 * the orchestrator's, or the caller's to delete); with --delete-queue it and
 * its `.dead` companion are deleted at the end (for a scratch queue). Exit 0 when every publish
 * was confirmed, 1 when some failed, 2 on a usage or connection error.
 */
import { deadLetterQueueName } from "@homelab/protocol";
import { DEFAULT_AMQP_URL, deleteQueues, newRunId, runLoad } from "./agents.ts";

const usage =
  "usage: main.ts [--agents N] [--rate N|max] [--seconds S] [--queue NAME] [--connections N] [--window N] [--run ID] [--delete-queue]";

const FLAGS = new Set(["--delete-queue"]);

const parseArgs = (argv: ReadonlyArray<string>): Map<string, string> => {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i] ?? "";
    if (FLAGS.has(key)) {
      out.set(key.slice(2), "true");
      continue;
    }
    const value = argv[i + 1];
    if (!key.startsWith("--") || value === undefined) throw new Error(`${usage}\n(bad argument "${key}")`);
    out.set(key.slice(2), value);
    i += 1;
  }
  return out;
};

const main = async (): Promise<number> => {
  let args: Map<string, string>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const known = new Set(["agents", "rate", "seconds", "queue", "connections", "window", "run", "delete-queue"]);
  for (const k of args.keys()) {
    if (!known.has(k)) {
      console.error(`${usage}\n(unknown option --${k})`);
      return 2;
    }
  }
  const num = (name: string, fallback: number, max: number): number => {
    const raw = args.get(name);
    if (raw === undefined) return fallback;
    if (name === "rate" && raw === "max") return Number.POSITIVE_INFINITY;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`--${name} must be a number in (0, ${max}] (got "${raw}")`);
    return n;
  };
  let agents: number, rate: number, seconds: number, connections: number, window: number;
  try {
    agents = Math.floor(num("agents", 100, 100_000));
    rate = num("rate", 1000, 1_000_000);
    seconds = num("seconds", 10, 3600);
    connections = Math.floor(num("connections", 2, 16));
    window = Math.floor(num("window", 1000, 100_000));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const queue = args.get("queue") ?? "orchestrator.replies";
  const runId = args.get("run") ?? newRunId();
  const amqpUrl = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());

  console.log(
    `loadgen: run ${runId}, ${agents} agents (sim-${runId}-0..${agents - 1}), ${Number.isFinite(rate) ? `${rate}/s` : "max rate"} ` +
      `for ${seconds} s to ${queue}, ${connections} connection(s), window ${window}`
  );
  const deleteQueue = args.get("delete-queue") === "true";
  const result = await runLoad({
    amqpUrl,
    queue,
    agents,
    rate,
    seconds,
    runId,
    connections,
    window,
    signal: abort.signal,
    onProgress: (p) =>
      console.log(
        `  t=${p.elapsedSeconds.toFixed(0)}s sent ${p.sent} confirmed ${p.confirmed} failed ${p.failed} in flight ${p.inFlight}`
      )
  });
  const target = Number.isFinite(rate) ? ` (target ${rate}/s: ${result.achievedRate >= rate * 0.98 ? "met" : "NOT met"})` : "";
  console.log(
    `loadgen: sent ${result.sent}, confirmed ${result.confirmed}, failed ${result.failed} in ${result.elapsedSeconds.toFixed(2)} s ` +
      `= ${result.achievedRate.toFixed(0)} confirmed/s${target}; max in flight ${result.maxInFlight} ` +
      `(window full ${((result.windowFullSeconds / result.publishSeconds) * 100).toFixed(0)} % of the time); ` +
      `CPU ${result.cpuSeconds.toFixed(2)} s (${((result.cpuSeconds / result.elapsedSeconds) * 100).toFixed(0)} % of one core, ` +
      `${result.cpuMicrosPerMessage.toFixed(1)} µs per message)`
  );
  console.log(`loadgen: ${result.confirmedLastSeqByAgent.size} of ${agents} agents have a confirmed heartbeat`);
  if (result.firstError !== undefined) console.log(`loadgen: first error: ${result.firstError}`);
  if (deleteQueue) {
    await deleteQueues(amqpUrl, [queue, deadLetterQueueName(queue)]);
    console.log(`loadgen: deleted ${queue} and ${deadLetterQueueName(queue)}`);
  }
  return result.failed > 0 ? 1 : 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`loadgen: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  }
);
