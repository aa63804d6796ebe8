import { existsSync } from "node:fs";
import { Effect, type Scope } from "effect";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (`.ci/run` installs it); Playwright never downloads a browser here. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Flags from STACK.md: headless without a sandbox or GPU, and without the
 * background networking that floods a closed network with connections.
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
];

/** Headless Chromium (Playwright gives each launch a fresh temporary profile), closed with the scope. */
export const launchBrowser: Effect.Effect<Browser, Error, Scope.Scope> = Effect.acquireRelease(
  Effect.tryPromise({
    try: async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
      return await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    },
    catch: (e) => (e instanceof Error ? e : new Error(String(e)))
  }),
  (browser) => Effect.promise(() => browser.close().catch(() => undefined))
);
