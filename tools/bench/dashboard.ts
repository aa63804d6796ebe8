/// <reference lib="dom" />
/**
 * Benchmark: the dashboard with a big fleet, and what open pages cost ingest.
 *
 *   npx nx run orchestrator:build && npx tsx tools/bench/dashboard.ts [agents=500] [pages=50] [rounds=3] [seconds=10]
 *
 * The orchestrator bundle runs on a fresh database (bench_<random>_dash) and a
 * reply queue of its own; `agents` simulated agents (tools/loadgen: the real
 * protocol, pre-encoded heartbeats) heartbeat once a second each.
 * 1. First render: headless Chromium (Debian's /usr/bin/chromium through
 *    playwright-core) opens the page; reported: the page's own clock
 *    (performance.now, from navigation start) when every agent's card is in
 *    the DOM. Target: under 1 s.
 * 2. Responsiveness while they heartbeat every second, over 10 s: gaps between
 *    animation frames (p50 / p99 / max) and the main thread's long tasks
 *    (> 50 ms: count, longest, total blocking time), and how long a click on
 *    the Work tab takes to show it (5 clicks).
 * 3. Ingest with pages: the generator publishes as fast as its window allows
 *    for `seconds`, and the orchestrator's processed heartbeats/s is read from
 *    /metrics over that window; with no page open, then with `pages` live
 *    feeds (GET /events streams read and discarded by this process: the
 *    server's side of a page; browsers rendering 50 pages would measure the
 *    browsers on this 2-core machine, not the orchestrator), alternating
 *    which goes first over `rounds` rounds. Reported: each mode's rate and
 *    the ratio with ÷ without.
 * DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * and AMQP_URL as for the apps; everything created is removed at the end.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium, type Page } from "playwright-core";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName } from "@homelab/protocol";
import { parseMetrics } from "@homelab/testing";
import { DEFAULT_AMQP_URL, makeFleet, newRunId, runLoad } from "../loadgen/agents.ts";
import { sumOf } from "./ingest/histogram.ts";
import {
  children,
  createDatabase,
  errorText,
  fmt,
  freePort,
  latencyStats,
  log,
  onCleanup,
  passFail,
  runBench,
  stopChild,
  tail,
  wholeArg
} from "./support.ts";

const usage = "usage: dashboard.ts [agents=500] [pages=50] [rounds=3] [seconds=10]";
const agentCount = wholeArg(usage, 2, 500, 1, 10_000);
const pageCount = wholeArg(usage, 3, 50, 1, 1000);
const rounds = wholeArg(usage, 4, 3, 1, 20);
const seconds = wholeArg(usage, 5, 10, 2, 600);
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const amqpUrl = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const processed = async (base: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const scrape = parseMetrics(text);
  return sumOf(scrape, "homelab_heartbeats_applied_total") + sumOf(scrape, "homelab_heartbeats_ignored_total");
};

/** `count` live feeds read and thrown away until `stop` aborts them. */
const openFeeds = async (base: string, count: number) => {
  const stop = new AbortController();
  let bytes = 0;
  const feeds = await Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${base}/events`, { signal: stop.signal });
      const reader = response.body?.getReader();
      if (reader === undefined) throw new Error("GET /events has no body");
      const first = await reader.read();
      bytes += first.value?.length ?? 0;
      return (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            bytes += value.length;
          }
        } catch {
          // aborted: the page went
        }
      })();
    })
  );
  return {
    bytes: () => bytes,
    close: async () => {
      stop.abort();
      await Promise.all(feeds);
    }
  };
};

/** Inside the page: frame gaps and long tasks over `ms`. */
const responsiveness = (page: Page, ms: number) =>
  page.evaluate(async (windowMs) => {
    const gaps: Array<number> = [];
    const longTasks: Array<number> = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push(entry.duration);
    });
    observer.observe({ type: "longtask", buffered: false });
    await new Promise<void>((resolve) => {
      const start = performance.now();
      let last = start;
      const frame = (now: number) => {
        gaps.push(now - last);
        last = now;
        if (now - start < windowMs) requestAnimationFrame(frame);
        else resolve();
      };
      requestAnimationFrame(frame);
    });
    observer.disconnect();
    return { gaps, longTasks };
  }, ms);

const main = async (): Promise<number> => {
  const suffix = randomBytes(4).toString("hex");
  const db = await createDatabase(adminUrl, `bench_${suffix}_dash`);
  const replyQueue = `bench.replies.${suffix}`;
  const admin = new Connection({ url: amqpUrl, noDelay: true });
  admin.on("error", (e) => log(`broker connection: ${e.message}`));
  onCleanup("close admin connection", () => admin.close());
  onCleanup(`delete ${replyQueue}`, async () => {
    await admin.queueDelete({ queue: replyQueue });
    await admin.queueDelete({ queue: deadLetterQueueName(replyQueue) });
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["dist/apps/orchestrator/main.mjs"], {
    env: {
      PATH: process.env["PATH"],
      AMQP_URL: amqpUrl,
      REPLY_QUEUE: replyQueue,
      DATABASE_URL: db.url,
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: String(port),
      HEARTBEAT_TIMEOUT_SECONDS: "86400",
      OFFLINE_SWEEP_INTERVAL_SECONDS: "3600",
      LOG_LEVEL: "warn"
    },
    stdio: ["ignore", "pipe", "pipe"]
  });
  children.add(child);
  const output = tail();
  child.stderr?.on("data", output.push);
  onCleanup("stop orchestrator", async () => void (await stopChild(child)));
  for (let i = 0; ; i++) {
    const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (i > 600) throw new Error(`the orchestrator did not become ready: ${output.text()}`);
    await sleep(100);
  }

  // A fleet heartbeating once a second each, for the whole browser part.
  const fleet = makeFleet(newRunId(), agentCount);
  const browserSeconds = 40;
  log(`${fmt(agentCount)} agents heartbeating every second`);
  const steady = runLoad({ amqpUrl, queue: replyQueue, agents: agentCount, fleet, rate: agentCount, seconds: browserSeconds });
  for (let i = 0; ; i++) {
    const agents = (await (await fetch(`${base}/agents?status=online`)).json()) as ReadonlyArray<unknown>;
    if (agents.length >= agentCount) break;
    if (i > 300) throw new Error(`only ${agents.length} of ${agentCount} agents registered`);
    await sleep(100);
  }

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
  onCleanup("close the browser", () => browser.close());
  const renders: Array<number> = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  for (let i = 0; i < 3; i++) {
    await page.goto(`${base}/`);
    const handle = await page.waitForFunction(
      (n) => (document.querySelectorAll("[data-agent-id]").length >= n ? performance.now() : false),
      agentCount,
      { timeout: 30_000 }
    );
    renders.push(Number(await handle.jsonValue()));
  }
  log(`first render: ${renders.map((r) => r.toFixed(0)).join(", ")} ms`);
  const feel = await responsiveness(page, 10_000);
  const clicks: Array<number> = [];
  for (let i = 0; i < 5; i++) {
    const started = await page.evaluate(() => performance.now());
    await page.getByRole("tab", { name: /work/i }).click();
    await page.getByRole("tabpanel").first().waitFor();
    clicks.push((await page.evaluate(() => performance.now())) - started);
    await page.getByRole("tab", { name: /fleet/i }).click();
  }
  await browser.close();
  await steady;

  // Ingest with and without live feeds, alternating.
  const rates: Record<"none" | "pages", Array<number>> = { none: [], pages: [] };
  let feedBytes = 0;
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? (["none", "pages"] as const) : (["pages", "none"] as const)) {
      const feeds = mode === "pages" ? await openFeeds(base, pageCount) : undefined;
      const load = runLoad({ amqpUrl, queue: replyQueue, agents: agentCount, fleet, rate: Number.POSITIVE_INFINITY, seconds });
      await sleep(1000);
      const before = await processed(base);
      const t0 = performance.now();
      await sleep((seconds - 2) * 1000);
      const after = await processed(base);
      rates[mode].push((after - before) / ((performance.now() - t0) / 1000));
      const sent = await load;
      // Let the backlog drain before the next window.
      for (let i = 0; i < 600 && (await processed(base)) < sent.confirmed; i++) await sleep(100);
      if (feeds !== undefined) {
        feedBytes += feeds.bytes();
        await feeds.close();
      }
      log(`round ${r + 1} ${mode}: ${fmt(rates[mode].at(-1) ?? Number.NaN)} heartbeats/s`);
    }
  }

  const frame = latencyStats(feel.gaps);
  const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(rates.pages) / mean(rates.none);
  const blocking = feel.longTasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0);
  const firstRender = Math.min(...renders);
  console.log(
    [
      `## Dashboard: ${fmt(agentCount)} agents heartbeating every second`,
      "",
      `node ${process.version}, Chromium ${browser.version()} headless, ${new Date().toISOString()}; PostgreSQL and RabbitMQ local.`,
      "",
      `First render (page clock, navigation start → ${fmt(agentCount)} agent cards in the DOM), 3 loads: ${renders.map((r) => fmt(r)).join(" / ")} ms; target "under 1 s": ${passFail(firstRender < 1000)} (best ${fmt(firstRender)} ms, worst ${fmt(Math.max(...renders))} ms).`,
      "",
      `While they heartbeat (10 s): frame gaps p50 ${fmt(frame.p50, 1)} / p99 ${fmt(frame.p99, 1)} / max ${fmt(frame.max, 1)} ms; long tasks ${feel.longTasks.length} (longest ${fmt(Math.max(0, ...feel.longTasks))} ms, total blocking ${fmt(blocking)} ms); Work tab click → shown: ${clicks.map((c) => fmt(c)).join(" / ")} ms.`,
      "",
      "| live feeds open | heartbeats/s processed (per round) | mean |",
      "|---|---|---|",
      `| 0 | ${rates.none.map((x) => fmt(x)).join(" / ")} | ${fmt(mean(rates.none))} |`,
      `| ${pageCount} | ${rates.pages.map((x) => fmt(x)).join(" / ")} | ${fmt(mean(rates.pages))} |`,
      "",
      `ratio with ${pageCount} feeds ÷ none: ${fmt(ratio, 3)} (the feeds received ${fmt(feedBytes / 1024 / 1024, 1)} MiB in all)`
    ].join("\n")
  );
  return 0;
};

runBench(main);
