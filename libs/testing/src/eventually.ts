const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until `done` holds for its answer, and returns that answer:
 * a receipt with a deadline. On timeout it fails with the last answer seen,
 * so a failing test says what it saw instead of what it waited for.
 */
export function eventually<A, B extends A>(
  what: string,
  probe: () => Promise<A>,
  done: (a: A) => a is B,
  timeoutMs: number,
  intervalMs?: number
): Promise<B>;
export function eventually<A>(what: string, probe: () => Promise<A>, done: (a: A) => boolean, timeoutMs: number, intervalMs?: number): Promise<A>;
export async function eventually<A>(
  what: string,
  probe: () => Promise<A>,
  done: (a: A) => boolean,
  timeoutMs: number,
  intervalMs = 50
): Promise<A> {
  const deadline = Date.now() + timeoutMs;
  let last: A | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const seen = last === undefined ? `error: ${String(lastError)}` : JSON.stringify(last)?.slice(0, 2000);
      throw new Error(`${what}: not within ${timeoutMs} ms; last seen ${seen}`);
    }
    await delay(intervalMs);
  }
}

/** Waits until `condition()` holds (a process started, a file written), up to `timeoutMs`, checking every 10 ms. */
export const until = (what: string, condition: () => boolean, timeoutMs: number): Promise<boolean> =>
  eventually(what, async () => condition(), (met) => met, timeoutMs, 10);
