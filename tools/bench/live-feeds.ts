/**
 * The server's side of `count` open dashboard pages, in a process of its own
 * (so reading them does not slow the load generator in the bench process):
 * opens `count` GET /events streams, reads and discards them, and prints
 * JSON lines: {"ready":true} once every feed has its snapshot, then
 * {"bytes":n} every second. Ends when stdin closes.
 *
 *   node --import tsx tools/bench/live-feeds.ts <base-url> <count>
 */
const [base, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (base === undefined || !Number.isInteger(count) || count < 1) {
  process.stderr.write("usage: live-feeds.ts <base-url> <count>\n");
  process.exit(64);
}

const stop = new AbortController();
let bytes = 0;

const open = async (): Promise<{ readonly draining: Promise<void> }> => {
  const response = await fetch(`${base}/events`, { signal: stop.signal });
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error("GET /events has no body");
  const first = await reader.read();
  bytes += first.value?.length ?? 0;
  // In an object: an async function returning the promise itself would wait for the feed to end.
  const draining = (async () => {
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
  return { draining };
};

const main = async (): Promise<void> => {
  const feeds = await Promise.all(Array.from({ length: count }, open));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const report = setInterval(() => process.stdout.write(`${JSON.stringify({ bytes })}\n`), 1000);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.on("end", resolve).on("close", resolve));
  clearInterval(report);
  process.stdout.write(`${JSON.stringify({ bytes })}\n`);
  stop.abort();
  await Promise.all(feeds.map((f) => f.draining));
  process.exit(0);
};

main().catch((e: unknown) => {
  process.stderr.write(`live-feeds: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
export {};
