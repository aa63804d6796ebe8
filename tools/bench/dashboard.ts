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
 *    (performance.now, from navigation start) when the fleet view is
 *    complete: it says "showing N of N", its list holds an item for every
 *    agent (cards near the view are drawn in full, the others are stand-ins
 *    of about their height: apps/dashboard/src/fleet/nearView.ts), and every
 *    item in the view is a full card. Target: under 1 s. Then: a jump to the
 *    end of the list until the last agent's card is drawn (what windowing
 *    costs the user), and the time until all N cards are drawn when the
 *    page is scrolled through, a screen per frame.
 * 2. Responsiveness while they heartbeat every second, over 10 s: gaps between
 *    animation frames (p50 / p99 / max) and the main thread's long tasks
 *    (> 50 ms: count, longest, total blocking time), and how long a click on
 *    the Work tab, and back on the Fleet tab, takes to be painted (5 each).
 * 3. Ingest with pages: the generator (tools/loadgen/main.ts, a process of
 *    its own, the same agents) publishes as fast as its window allows for
 *    `seconds`; the rate is every heartbeat it published over the time from
 *    its start until the orchestrator has processed them all (/metrics), so
 *    a backlog the orchestrator cannot clear counts against it; with no page open, then with `pages` live
 *    feeds (GET /events streams read and discarded by a process of their own,
 *    tools/bench/live-feeds.ts, so the generator here is not slowed: the
 *    server's side of a page; browsers rendering 50 pages would measure the
 *    browsers on this 2-core machine, not the orchestrator), alternating
 *    which goes first over `rounds` rounds. Reported: each mode's rate, the
 *    ratio with ÷ without, and the orchestrator's and PostgreSQL's CPU per
 *    processed heartbeat from /proc (which drifts less than the rate on a
 *    machine where the generator and the feed readers share the 2 cores).
 * DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * and AMQP_URL as for the apps; everything created is removed at the end.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium, type Page } from "playwright-core";
import { Connection } from "rabbitmq-client";
import { deadLetterQueueName } from "@homelab/protocol";
import { parseMetrics } from "@homelab/testing";
import { DEFAULT_AMQP_URL, makeFleet, newRunId, runLoad } from "../loadgen/agents.ts";
import { sumOf } from "./ingest/histogram.ts";
import { cpuWindow, postgresGroups } from "./procstat.ts";
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

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const usage = "usage: dashboard.ts [agents=500] [pages=50] [rounds=3] [seconds=10]";
const agentCount = wholeArg(usage, 2, 500, 1, 10_000);
const pageCount = wholeArg(usage, 3, 50, 1, 1000);
// rounds=0: the browser part only.
const rounds = wholeArg(usage, 4, 3, 0, 20);
const seconds = wholeArg(usage, 5, 10, 2, 600);
const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const amqpUrl = process.env["AMQP_URL"] ?? DEFAULT_AMQP_URL;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const processed = async (base: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const scrape = parseMetrics(text);
  return sumOf(scrape, "homelab_heartbeats_applied_total") + sumOf(scrape, "homelab_heartbeats_ignored_total");
};

/** `count` live feeds read and thrown away by a process of its own (tools/bench/live-feeds.ts) until closed. */
const openFeeds = async (base: string, count: number) => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools/bench/live-feeds.ts"), base, String(count)], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"]
  });
  children.add(child);
  const stderr = tail();
  child.stderr?.on("data", stderr.push);
  let ready = false;
  let bytes = 0;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const v = JSON.parse(line) as { ready?: boolean; bytes?: number };
    if (v.ready === true) ready = true;
    if (typeof v.bytes === "number") bytes = v.bytes;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let waited = 0; !ready; waited += 100) {
    if (child.exitCode !== null || waited > 60_000) throw new Error(`the live feeds did not open: ${stderr.text() || "(no output)"}`);
    await sleep(100);
  }
  return {
    pid: child.pid ?? 0,
    bytes: () => bytes,
    close: async () => {
      child.stdin?.end();
      await exited;
      children.delete(child);
    }
  };
};

// In-page code as text: functions handed to page.evaluate would carry the
// `__name` helper tsx adds, which the page does not have.
const RESPONSIVENESS = `(async (windowMs) => {
  const gaps = [];
  const longTasks = [];
  const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
  observer.observe({ type: "longtask", buffered: false });
  await new Promise((resolve) => {
    const start = performance.now();
    let last = start;
    const step = (now) => { gaps.push(now - last); last = now; if (now - start < windowMs) requestAnimationFrame(step); else resolve(); };
    requestAnimationFrame(step);
  });
  observer.disconnect();
  return { gaps, longTasks };
})`;

/** Inside the page: frame gaps and long tasks over `ms`. */
const responsiveness = (page: Page, ms: number) =>
  page.evaluate(`${RESPONSIVENESS}(${ms})`) as Promise<{ gaps: Array<number>; longTasks: Array<number> }>;

// A tab click inside the page: from the click until the frame after it has been painted.
const CLICK_TO_PAINT = (testid: string) => `(async () => {
  const tab = document.querySelector('[data-testid="${testid}"]');
  const start = performance.now();
  tab.click();
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - start;
})()`;

// The fleet view is complete: every agent listed, every item in the view drawn in full (the list is in
// visual order, so the first item below the view ends the check).
const VIEW_COMPLETE = (agents: number) => `(() => {
  const count = document.querySelector('[data-testid="fleet-count"]');
  const list = document.querySelector("ul.cards");
  if (count === null || list === null || Number(count.dataset.value) !== ${agents} || list.children.length !== ${agents}) return false;
  for (const item of list.children) {
    const box = item.getBoundingClientRect();
    if (box.top >= window.innerHeight) break;
    if (box.bottom > 0 && !item.hasAttribute("data-agent-id")) return false;
  }
  return performance.now();
})()`;

// From a jump to the end of the list until the view there is complete.
const JUMP_TO_END = (agents: number) => `(async () => {
  const start = performance.now();
  window.scrollTo(0, document.documentElement.scrollHeight);
  for (;;) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const list = document.querySelector("ul.cards");
    const last = list.lastElementChild;
    if (last.hasAttribute("data-agent-id") && ${VIEW_COMPLETE(agents)} !== false) break;
  }
  const took = performance.now() - start;
  window.scrollTo(0, 0);
  return took;
})()`;

// Scrolled through a screen per frame from the top: until every agent's card is drawn in full.
const SCROLL_THROUGH = (agents: number) => `(async () => {
  const start = performance.now();
  window.scrollTo(0, 0);
  for (let y = 0; document.querySelectorAll("li[data-agent-id]").length < ${agents}; y += window.innerHeight) {
    window.scrollTo(0, y);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  const took = performance.now() - start;
  const heights = [...document.querySelectorAll("li[data-agent-id]")].map((li) => li.getBoundingClientRect().height);
  window.scrollTo(0, 0);
  return { took, meanCardHeight: heights.reduce((a, b) => a + b, 0) / heights.length };
})()`;

// Where a load's time went (page clock): the page, its script, the app started, the live feed asked for, its first bytes, the snapshot decoded.
const FIRST_VISIT = `(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const script = performance.getEntriesByType("resource").find((e) => e.name.endsWith(".js"));
  const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
  const ms = (x) => Math.round(x) + " ms";
  return "page received " + ms(nav.responseEnd) + ", script " + ms(script?.responseEnd ?? NaN) + ", DOMContentLoaded " + ms(nav.domContentLoadedEventEnd) +
    ", live feed requested " + ms(mark("homelab:feed-requested")) + ", its first bytes " + ms(mark("homelab:feed-bytes")) + ", snapshot decoded " + ms(mark("homelab:snapshot-received"));
})()`;

/** When the page had its snapshot (page clock), from the dashboard's own mark. */
const snapshotAt = (page: Page) =>
  page.evaluate(`performance.getEntriesByName("homelab:snapshot-received")[0]?.startTime ?? NaN`) as Promise<number>;

/** `seconds` of heartbeats as fast as the window allows, by tools/loadgen/main.ts in its own process (the same agents: `runId`). */
const generate = async (
  queue: string,
  runId: string,
  agents: number,
  seconds: number,
  /** Called when it is connected and about to publish (its first line), so its start-up is not timed. */
  onStart: () => Promise<void>
): Promise<{ confirmed: number; rate: number }> => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "tools/loadgen/main.ts"), "--agents", String(agents), "--rate", "max", "--seconds", String(seconds), "--queue", queue, "--run", runId],
    { cwd: repoRoot, env: { ...process.env, AMQP_URL: amqpUrl }, stdio: ["ignore", "pipe", "pipe"] }
  );
  children.add(child);
  const output = tail();
  let started: Promise<void> | undefined;
  child.stdout?.on("data", (chunk: Buffer) => {
    output.push(chunk);
    started ??= onStart();
  });
  child.stderr?.on("data", output.push);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  await started;
  children.delete(child);
  const summary = /confirmed (\d+), failed \d+ in [\d.]+ s = (\d+) confirmed\/s/.exec(output.text());
  if (code !== 0 || summary === null) throw new Error(`the load generator failed (exit ${code}): ${output.text()}`);
  return { confirmed: Number(summary[1]), rate: Number(summary[2]) };
};

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

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
  const runId = newRunId();
  const fleet = makeFleet(runId, agentCount);
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
  const firstScreen: Array<number> = [];
  const dataAt: Array<number> = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // The renderer is started (as in a browser the user already has open); the first load still has nothing cached or compiled.
  await page.goto("about:blank");
  const jumps: Array<number> = [];
  let firstVisit = "";
  const throughs: Array<{ took: number; meanCardHeight: number }> = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${base}/`);
    // The first screenful drawn in full (the first 48 cards, when they are in the view).
    const screenful = await page.waitForFunction(
      `document.querySelectorAll("li[data-agent-id]").length >= ${Math.min(12, agentCount)} ? performance.now() : false`,
      undefined,
      { timeout: 30_000, polling: "raf" }
    );
    firstScreen.push(Number(await screenful.jsonValue()));
    const handle = await page.waitForFunction(VIEW_COMPLETE(agentCount), undefined, { timeout: 30_000, polling: "raf" });
    renders.push(Number(await handle.jsonValue()));
    dataAt.push(await snapshotAt(page));
    if (i === 0) firstVisit = String(await page.evaluate(FIRST_VISIT));
    jumps.push(Number(await page.evaluate(JUMP_TO_END(agentCount))));
    if (i === 4) throughs.push((await page.evaluate(SCROLL_THROUGH(agentCount))) as { took: number; meanCardHeight: number });
  }
  log(`first render: ${renders.map((r) => r.toFixed(0)).join(", ")} ms (snapshot received at ${dataAt.map((r) => r.toFixed(0)).join(", ")} ms)`);
  const feel = await responsiveness(page, 10_000);
  const clicks: Array<number> = [];
  const backClicks: Array<number> = [];
  for (let i = 0; i < 5; i++) {
    clicks.push(Number(await page.evaluate(CLICK_TO_PAINT("tab-work"))));
    await sleep(500);
    backClicks.push(Number(await page.evaluate(CLICK_TO_PAINT("tab-fleet"))));
    await sleep(500);
  }
  await browser.close();
  await steady;

  // Ingest with and without live feeds, alternating.
  const rates: Record<"none" | "pages", Array<number>> = { none: [], pages: [] };
  const generated: Record<"none" | "pages", Array<number>> = { none: [], pages: [] };
  // CPU per processed heartbeat (/proc): the orchestrator's own, and PostgreSQL's backends for its database.
  const cpu: Record<"none" | "pages", { orchestratorS: number; postgresS: number; heartbeats: number }> = {
    none: { orchestratorS: 0, postgresS: 0, heartbeats: 0 },
    pages: { orchestratorS: 0, postgresS: 0, heartbeats: 0 }
  };
  let feedBytes = 0;
  // CPU of the process reading the feeds (the pages' side), over the windows with feeds.
  let feedCpuS = 0;
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? (["none", "pages"] as const) : (["pages", "none"] as const)) {
      const feeds = mode === "pages" ? await openFeeds(base, pageCount) : undefined;
      const window = cpuWindow([
        { label: "orchestrator", pids: [child.pid ?? 0] },
        ...postgresGroups(`bench_${suffix}_dash`),
        ...(feeds === undefined ? [] : [{ label: "feeds", pids: [feeds.pid] }])
      ]);
      await window.start();
      // Nothing is in flight between rounds: the count now is where this round starts.
      const before = await processed(base);
      let t0 = 0;
      // The generator in a process of its own (in this one it slowed this process's timers and reads).
      const sent = await generate(replyQueue, runId, agentCount, seconds, async () => {
        t0 = performance.now();
      });
      // Throughput: everything it published, until the orchestrator has processed it all.
      let done = await processed(base);
      for (let i = 0; i < 1200 && done - before < sent.confirmed; i++) {
        await sleep(50);
        done = await processed(base);
      }
      const elapsed = (performance.now() - t0) / 1000;
      const report = await window.stop();
      rates[mode].push((done - before) / elapsed);
      generated[mode].push(sent.rate);
      cpu[mode].heartbeats += done - before;
      cpu[mode].orchestratorS += report.groups.find((g) => g.label === "orchestrator")?.cpuSeconds ?? 0;
      cpu[mode].postgresS += report.groups.find((g) => g.label.startsWith("postgres: backends"))?.cpuSeconds ?? 0;
      feedCpuS += report.groups.find((g) => g.label === "feeds")?.cpuSeconds ?? 0;
      if (feeds !== undefined) {
        feedBytes += feeds.bytes();
        await feeds.close();
      }
      log(`round ${r + 1} ${mode}: ${fmt(rates[mode].at(-1) ?? Number.NaN)} heartbeats/s processed (published and processed, end to end); the generator alone: ${fmt(generated[mode].at(-1) ?? Number.NaN)}/s confirmed`);
    }
  }

  const perBeat = (mode: "none" | "pages", key: "orchestratorS" | "postgresS") => fmt((cpu[mode][key] * 1e6) / cpu[mode].heartbeats, 1);
  const frame = latencyStats(feel.gaps);
  const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(rates.pages) / mean(rates.none);
  const blocking = feel.longTasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0);
  console.log(
    [
      `## Dashboard: ${fmt(agentCount)} agents heartbeating every second`,
      "",
      `node ${process.version}, Chromium ${browser.version()} headless, ${new Date().toISOString()}; PostgreSQL and RabbitMQ local.`,
      "",
      `First render (page clock, navigation start → the fleet view complete: ${fmt(agentCount)} agents listed, every one in the 1280×900 view drawn in full), ${renders.length} loads of one browser (the first is a first visit: nothing cached or compiled, the renderer started): ${renders.map((r) => fmt(r)).join(" / ")} ms, of which waiting for the snapshot (navigation → snapshot received): ${dataAt.map((r) => fmt(r)).join(" / ")} ms; the first 12 cards drawn at ${firstScreen.map((r) => fmt(r)).join(" / ")} ms; target "under 1 s": ${passFail(median(renders) < 1000)} (median ${fmt(median(renders))} ms, worst ${fmt(Math.max(...renders))} ms).`,
      "",
      `The first load, step by step: ${firstVisit}.`,
      "",
      `Jump to the end of the list → the last agents drawn in full: ${jumps.map((j) => fmt(j)).join(" / ")} ms. Scrolled through a screen per frame → all ${fmt(agentCount)} cards drawn: ${throughs.map((t) => fmt(t.took)).join(" / ")} ms (mean card height ${throughs.map((t) => fmt(t.meanCardHeight)).join(" / ")} px).`,
      "",
      `While they heartbeat (10 s): frame gaps p50 ${fmt(frame.p50, 1)} / p99 ${fmt(frame.p99, 1)} / max ${fmt(frame.max, 1)} ms; long tasks ${feel.longTasks.length} (longest ${fmt(Math.max(0, ...feel.longTasks))} ms, total blocking ${fmt(blocking)} ms); click → next frame painted, Work tab: ${clicks.map((c) => fmt(c)).join(" / ")} ms, back to the Fleet tab (500 cards): ${backClicks.map((c) => fmt(c)).join(" / ")} ms.`,
      "",
      ...(rounds === 0
        ? ["(ingest part skipped: rounds=0)"]
        : [
        "| live feeds open | heartbeats/s published and processed (per round) | mean | generator's confirmed rate (per round) | orchestrator CPU µs / heartbeat | PostgreSQL CPU µs / heartbeat |",
        "|---|---|---|---|---|---|",
        `| 0 | ${rates.none.map((x) => fmt(x)).join(" / ")} | ${fmt(mean(rates.none))} | ${generated.none.map((x) => fmt(x)).join(" / ")} | ${perBeat("none", "orchestratorS")} | ${perBeat("none", "postgresS")} |`,
        `| ${pageCount} | ${rates.pages.map((x) => fmt(x)).join(" / ")} | ${fmt(mean(rates.pages))} | ${generated.pages.map((x) => fmt(x)).join(" / ")} | ${perBeat("pages", "orchestratorS")} | ${perBeat("pages", "postgresS")} |`,
        "",
        `ratio with ${pageCount} feeds ÷ none: ${fmt(ratio, 3)} (the feeds received ${fmt(feedBytes / 1024 / 1024, 1)} MiB in all; reading them cost their own process ${fmt(feedCpuS, 1)} s of CPU over the windows)`
        ])
    ].join("\n")
  );
  return 0;
};

runBench(main);
