import { randomUUID } from "node:crypto";
import { Effect } from "effect";
import type { StatusUpdate, WorkResult } from "@homelab/protocol";
import { AgentRegistry, classifyFailure, type RegistryError, WorkRegistry } from "../../src/index.ts";
import { heartbeat } from "../fixtures.ts";
import type { Run } from "./run.ts";

// Values the protocol refuses today, written straight to the registry as an
// older build (or a bug) would: the database refuses them, and the failure
// must read as "permanent" (the data caused it) so ingest dead-letters the
// message instead of retrying it forever.

const withGpuName = (update: StatusUpdate, name: string): StatusUpdate => ({
  ...update,
  resources: { ...update.resources, gpus: update.resources.gpus.map((g) => ({ ...g, name })) }
});

const failureOf = <A>(effect: Effect.Effect<A, RegistryError>) =>
  effect.pipe(
    Effect.match({
      onFailure: (e) => ({ kind: classifyFailure(e), message: e.message }),
      onSuccess: () => ({ kind: "written", message: "" })
    })
  );

export const refusedTests = (run: Run): void =>
  describe("what the database refuses is a permanent failure", () => {
    it.each([
      ["a NUL in a GPU name", "RTX\u00004090", /applyHeartbeats: .*(\\u0000|Unicode)/i],
      ["a lone surrogate in a GPU name", "RTX \ud800", /applyHeartbeats: .*(surrogate|Unicode|json)/i]
    ])("a heartbeat with %s fails permanently, and the batch writes nothing", async (_name, name, message) => {
      const outcome = await run(
        Effect.gen(function* () {
          const agents = yield* AgentRegistry;
          const failed = yield* failureOf(agents.applyHeartbeats([heartbeat("fine"), withGpuName(heartbeat("bad", { gpus: [8] }), name)]));
          return { failed, online: yield* agents.countOnline };
        })
      );
      expect(outcome.failed.kind).toBe("permanent");
      expect(outcome.failed.message).toMatch(message);
      expect(outcome.online).toBe(0);
    });

    it.each([
      ["a started_at in year 0000", { started_at: "0000-01-01T00:00:00Z" }],
      ["a NUL in the output", { output: "\u0000\u0000" }]
    ])("a work result with %s fails permanently", async (_name, change) => {
      const outcome = await run(
        Effect.gen(function* () {
          yield* (yield* AgentRegistry).applyHeartbeats([heartbeat("w")]);
          const work = yield* WorkRegistry;
          const booked = yield* work.route({ work_id: randomUUID(), kind: "echo", params: {}, requirements: {}, timeout_seconds: 60 });
          if (booked._tag !== "Booked") return yield* Effect.die("nothing booked");
          const result: WorkResult = {
            work_id: booked.work.work_id,
            agent_id: "w",
            status: "succeeded",
            exit_code: 0,
            output: "",
            error: null,
            started_at: "2025-03-01T12:00:00Z",
            finished_at: "2025-03-01T12:00:01Z",
            ...change
          } as WorkResult;
          return yield* failureOf(work.recordResult(result));
        })
      );
      expect(outcome.kind).toBe("permanent");
      expect(outcome.message).toMatch(/^recordResult: /);
    });
  });
