import { Data, Effect, Ref } from "effect";
import { classifyFailure, type RegistryError } from "@homelab/registry";
import { databaseRetrySchedule } from "./schedules.ts";

/** How many times ingest tries a write the database answers but refuses, as the reply queue's delivery limit. */
export const MAX_WRITE_ATTEMPTS = 5;

/** Why ingest gave up on a write: the reason its messages are dead-lettered with, and the database's words. */
export interface Refusal {
  readonly reason: "unstorable" | "write_failed";
  readonly detail: string;
}

export type WriteOutcome<A> =
  | { readonly _tag: "Written"; readonly value: A }
  | ({ readonly _tag: "Refused" } & Refusal);

class Retry extends Data.TaggedError("Retry")<{ readonly error: RegistryError }> {}
class GiveUp extends Data.TaggedError("GiveUp")<Refusal> {}

export interface WritePolicyOptions {
  /** Is the database reachable at all? Only a failing ping makes ingest wait for it (and the orchestrator unready). */
  readonly ping: Effect.Effect<void, RegistryError>;
  readonly databaseUp: (up: boolean, detail: string) => Effect.Effect<void>;
  readonly maxAttempts?: number;
}

/**
 * How ingest runs one registry write (SPEC §6; nothing is retried forever):
 * - success: written (and the database reported up);
 * - a permanent failure (the data caused it, see `classifyFailure`): refused
 *   at once as `unstorable`, with the database's message;
 * - any other failure while the ping fails: the database is away; reported
 *   down and retried with backoff for as long as that lasts, uncounted;
 * - any other failure while the ping answers: counted, retried with backoff,
 *   and refused as `write_failed` after `maxAttempts` (default 5).
 */
export const makeWritePolicy = (options: WritePolicyOptions) => {
  const maxAttempts = options.maxAttempts ?? MAX_WRITE_ATTEMPTS;
  return <A>(operation: Effect.Effect<A, RegistryError>): Effect.Effect<WriteOutcome<A>> =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0);
      const once = operation.pipe(
        Effect.catch((error) =>
          Effect.gen(function* () {
            if (classifyFailure(error) === "permanent") return yield* new GiveUp({ reason: "unstorable", detail: error.message });
            const reachable = yield* options.ping.pipe(Effect.as(true), Effect.catch(() => Effect.succeed(false)));
            if (!reachable) {
              yield* options.databaseUp(false, error.message);
              return yield* new Retry({ error });
            }
            const n = yield* Ref.updateAndGet(attempts, (k) => k + 1);
            if (n >= maxAttempts) {
              return yield* new GiveUp({ reason: "write_failed", detail: `${error.message} (gave up after ${n} attempts)` });
            }
            return yield* new Retry({ error });
          })
        )
      );
      return yield* once.pipe(
        Effect.retry({ schedule: databaseRetrySchedule, while: (e) => e._tag === "Retry" }),
        Effect.tap(() => options.databaseUp(true, "ok")),
        Effect.map((value): WriteOutcome<A> => ({ _tag: "Written", value })),
        Effect.catchTag("GiveUp", (e) => Effect.succeed<WriteOutcome<A>>({ _tag: "Refused", reason: e.reason, detail: e.detail })),
        // The schedule never ends, so a Retry cannot come out of the retry.
        Effect.catchTag("Retry", (e) => Effect.die(e.error))
      );
    });
};

/**
 * Writes `items` with `write`; when the write is refused as `unstorable`
 * (one of them holds data the database cannot take), writes each half on
 * its own, in order, down to single items, so that every item that can be
 * stored is written exactly once and only the culprits are refused. A
 * `write_failed` refusal is not the data's fault: it is not split.
 * Returns, for each item in order, its refusal or undefined (written).
 */
export const writeBisecting = <I>(
  items: ReadonlyArray<I>,
  write: (items: ReadonlyArray<I>) => Effect.Effect<WriteOutcome<unknown>>
): Effect.Effect<ReadonlyArray<Refusal | undefined>> =>
  Effect.gen(function* () {
    if (items.length === 0) return [];
    const outcome = yield* write(items);
    if (outcome._tag === "Written") return items.map(() => undefined);
    const refusal: Refusal = { reason: outcome.reason, detail: outcome.detail };
    if (outcome.reason !== "unstorable" || items.length === 1) return items.map(() => refusal);
    const middle = Math.ceil(items.length / 2);
    const left = yield* writeBisecting(items.slice(0, middle), write);
    const right = yield* writeBisecting(items.slice(middle), write);
    return [...left, ...right];
  });
