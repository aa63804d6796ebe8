// Bad data never stalls the fleet: the real orchestrator and agents, fed
// what the database cannot hold. A real agent runs a program that prints
// NUL bytes and invalid UTF-8; 100 simulated agents heartbeat while
// heartbeats carrying each value the database refuses are mixed in; a real
// agent is killed with kill -9 during the run. And a 150 MB POST costs the
// orchestrator no memory.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Effect } from "effect";
import { type Message, workQueueName } from "@homelab/protocol";
import { heartbeat, replyPublisher, resources, runLive, uniqueName, uploadBody } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually } from "./support/childProcess.ts";
import { drainDeadLetters } from "./support/deadLetters.ts";
import { agentStatus, getAgent, type RunningOrchestrator } from "./support/orchestratorProcess.ts";
import { orchestratedSystem } from "./support/system.ts";
import { finished, submit } from "./support/work.ts";

const SIMULATED = 100;
const SEQS = 5;
const TIMEOUT_S = 3;
const SWEEP_S = 1;

beforeAll(requireAgentBundle);

const agentConfig = `
tasks:
  zeros:
    command: ["head", "-c", "8", "/dev/zero"]
  mixed:
    command: ["sh", "-c", "printf 'ok\\\\000\\\\377\\\\376 end'"]
`;

/** A heartbeat with one bad value, as a foreign or buggy sender would publish it (JSON.stringify keeps lone surrogates as \\uD800 escapes). */
const badHeartbeats = (): ReadonlyArray<readonly [string, Buffer]> => {
  const base = (id: string) => heartbeat({ agentId: uniqueName(id), bootId: randomUUID(), seq: 1 });
  const withResources = (id: string, change: (r: ReturnType<typeof resources>) => Record<string, unknown>) => {
    const m = base(id);
    return { ...m, payload: { ...m.payload, resources: change(m.payload.resources) } };
  };
  const gpu = resources().gpus[0];
  const cases: ReadonlyArray<readonly [string, unknown]> = [
    ["NUL in a GPU name", withResources("nul", (r) => ({ ...r, gpus: r.gpus.map((g) => ({ ...g, name: "RTX\u00004090" })) }))],
    ["a lone surrogate in a GPU name", withResources("surrogate", (r) => ({ ...r, gpus: r.gpus.map((g) => ({ ...g, name: "RTX \ud800" })) }))],
    ["collected_at in year 0000", withResources("year0", (r) => ({ ...r, collected_at: "0000-01-01T00:00:00Z" }))],
    ["GPU index 2^40", withResources("index", (r) => ({ ...r, gpus: r.gpus.map((g) => ({ ...g, index: 2 ** 40 })) }))],
    ["gpu_count 3 with one GPU", withResources("count", (r) => ({ ...r, gpu_count: 3 }))],
    [
      "65 GPUs",
      withResources("many", (r) => ({
        ...r,
        gpu_count: 65,
        gpus: Array.from({ length: 65 }, (_, index) => ({ ...gpu, index })),
        gpu_vram_total_gb: 65 * (gpu?.vram_total_gb ?? 0),
        gpu_vram_available_gb: 65 * (gpu?.vram_available_gb ?? 0)
      }))
    ]
  ];
  return cases.map(([name, message]) => [name, Buffer.from(JSON.stringify(message))] as const);
};

/** VmRSS of a process, in MB, from /proc. */
const rssMb = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:")) ?? "";
  return Number(/(\d+)/.exec(line)?.[1] ?? NaN) / 1024;
};

/** POSTs `total` bytes to /work, chunked or with its Content-Length: the status that came back. */
const upload = (orchestrator: RunningOrchestrator, total: number, declare: boolean) =>
  uploadBody(`${orchestrator.baseUrl}/work`, total, declare).then((reply) => reply.status);

describe("poison.data: bad data never stalls the fleet", () => {
  it(
    "runs binary output to succeeded, dead-letters every bad heartbeat within 5 s, applies every valid one, answers /capacity throughout and still notices a killed agent",
    async () => {
      const outcome = await runLive(
        Effect.gen(function* () {
          const { orchestrator, replyQueue, db, newAgentId } = yield* orchestratedSystem("poison_data", {
            heartbeatTimeoutSeconds: TIMEOUT_S,
            sweepIntervalSeconds: SWEEP_S
          });
          const workerId = newAgentId("binary-worker");
          const victimId = newAgentId("victim");
          yield* startAgent({ agentId: workerId, replyQueue, config: agentConfig });
          const victim = yield* startAgent({ agentId: victimId, replyQueue });
          for (const id of [workerId, victimId]) yield* Effect.promise(() => agentStatus(orchestrator, id, "online", AGENT_UP_MS));

          // /capacity is asked every 100 ms for the whole run (0: no answer at all); stopped with the scope.
          const capacityStatuses: Array<number> = [];
          const watch = { on: true };
          const watcher = yield* Effect.acquireRelease(
            Effect.sync(() =>
              (async () => {
                while (watch.on) {
                  capacityStatuses.push(await orchestrator.get("/capacity?min_vram_gb=1").then((r) => r.status, () => 0));
                  await new Promise((r) => setTimeout(r, 100));
                }
              })()
            ),
            (running) => Effect.promise(() => ((watch.on = false), running))
          );

          const zeros = yield* Effect.promise(() => submit(orchestrator, { kind: "zeros" }));
          const mixed = yield* Effect.promise(() => submit(orchestrator, { kind: "mixed" }));

          const publisher = yield* replyPublisher(replyQueue);
          const simulated = Array.from({ length: SIMULATED }, (_, i) => ({ agentId: uniqueName(`sim-${i}`), bootId: randomUUID() }));
          const bad = badHeartbeats();
          const wire: Array<{ readonly valid: Message } | { readonly bad: Buffer }> = [];
          for (let seq = 1; seq <= SEQS; seq++) {
            for (const [i, a] of simulated.entries()) {
              wire.push({ valid: heartbeat({ ...a, seq }) });
              const poison = bad[(seq - 1) * 2 + (i % 2)];
              if (i % 50 === 25 && poison !== undefined) wire.push({ bad: poison[1] });
            }
          }
          const badSent = wire.filter((m) => "bad" in m).length;
          // The victim dies part-way through the flood.
          for (const [i, m] of wire.entries()) {
            if (i === Math.floor(wire.length / 2)) victim.signal("SIGKILL");
            yield* Effect.promise(() => ("valid" in m ? publisher.send(m.valid) : publisher.sendRaw("application/json", m.bad)));
          }
          const publishedAt = Date.now();
          const dead = yield* Effect.promise(() => drainDeadLetters(`${replyQueue}.dead`, badSent));
          const deadWithin = Date.now() - publishedAt;
          const seqs = yield* Effect.promise(() =>
            eventually(
              "every simulated agent at its last seq",
              () => db.lastSeqs(simulated.map((a) => a.agentId)),
              (m) => m.size === SIMULATED && [...m.values()].every((s) => s === SEQS),
              20_000,
              100
            )
          );
          // The simulated agents stay alive (a heartbeat a second each) while the victim is watched:
          // fallen silent together with it, they would be most of the fleet, and the sweep's
          // mass-offline rule would rightly hold the victim one more sweep for confirmation.
          const keepAlive = { on: true, seq: SEQS };
          const alive = yield* Effect.acquireRelease(
            Effect.sync(() =>
              (async () => {
                while (keepAlive.on) {
                  keepAlive.seq += 1;
                  await Promise.all(simulated.map((a) => publisher.send(heartbeat({ ...a, seq: keepAlive.seq })))).catch(() => undefined);
                  await new Promise((r) => setTimeout(r, 1000));
                }
              })()
            ),
            (running) => Effect.promise(() => ((keepAlive.on = false), running))
          );
          const victimOffline = yield* Effect.promise(() => agentStatus(orchestrator, victimId, "offline", 15_000));
          keepAlive.on = false;
          yield* Effect.promise(() => alive);
          // Both times by the database clock: its last heartbeat as stored, and the offline transition.
          const lastHeartbeatMs = (yield* Effect.promise(() => db.agent(victimId)))?.last_heartbeat_ms ?? Number.NaN;
          const wentOffline = (yield* Effect.promise(() => db.timedTransitions(victimId))).find((t) => t.to_status === "offline");
          const offlineAfterMs = (wentOffline?.at_ms ?? Number.NaN) - lastHeartbeatMs;
          const work = [yield* Effect.promise(() => finished(orchestrator, zeros.work_id)), yield* Effect.promise(() => finished(orchestrator, mixed.work_id))];
          watch.on = false;
          yield* Effect.promise(() => watcher);
          return {
            badSent,
            bad: bad.length,
            dead: dead.map((d) => ({ reason: d.reason, detail: String(d.detail) })),
            deadWithin,
            atLastSeq: [...seqs.values()].filter((s) => s === SEQS).length,
            victimOffline: victimOffline?.status,
            offlineAfterMs,
            work,
            capacityStatuses,
            workerOnline: (yield* Effect.promise(() => getAgent(orchestrator, workerId)))?.status
          };
        })
      );

      console.log(
        `poison.data: ${outcome.dead.length} dead letters ${outcome.deadWithin} ms after the last publish; victim offline ${outcome.offlineAfterMs} ms after its last heartbeat; /capacity asked ${outcome.capacityStatuses.length} times`
      );
      expect(outcome.badSent).toBe(outcome.bad);
      expect(outcome.dead).toHaveLength(outcome.bad);
      for (const letter of outcome.dead) {
        expect(letter.reason).toBe("schema_violation");
        expect(letter.detail).toMatch(/^payload\.resources\.(gpus(\[\d+\])?(\.name|\.index)?|collected_at|gpu_count): /);
      }
      expect(outcome.deadWithin).toBeLessThan(5000);
      expect(outcome.atLastSeq).toBe(SIMULATED);
      for (const w of outcome.work) {
        expect(w).toMatchObject({ state: "succeeded", result: { status: "succeeded", exit_code: 0, output_sanitized: true } });
      }
      expect(outcome.work[0]?.result?.output).toBe("\uFFFD".repeat(8));
      expect(outcome.work[1]?.result?.output).toBe("ok\uFFFD\uFFFD\uFFFD end");
      expect(outcome.capacityStatuses.length).toBeGreaterThan(5);
      expect(outcome.capacityStatuses.every((s) => s === 200)).toBe(true);
      expect(outcome.victimOffline).toBe("offline");
      // Offline within timeout + sweep of its last heartbeat (database clock), with a second of slack for a sweep's own run on a loaded machine.
      expect(outcome.offlineAfterMs).toBeGreaterThan(TIMEOUT_S * 1000);
      expect(outcome.offlineAfterMs).toBeLessThan((TIMEOUT_S + SWEEP_S + 1) * 1000);
      expect(outcome.workerOnline).toBe("online");
    },
    120_000
  );

  it("refuses a 150 MB POST with 413 (declared and chunked) and its RSS grows by no more than a few MB", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const { orchestrator } = yield* orchestratedSystem("poison_body", { heartbeatTimeoutSeconds: TIMEOUT_S, sweepIntervalSeconds: SWEEP_S });
        // One small request first, so the HTTP path is warm before the baseline.
        yield* Effect.promise(() => orchestrator.post("/work", { kind: "none" }));
        const before = rssMb(orchestrator.child.pid);
        const declared = yield* Effect.promise(() => upload(orchestrator, 150 * 1024 * 1024, true));
        const chunked = yield* Effect.promise(() => upload(orchestrator, 150 * 1024 * 1024, false));
        const after = rssMb(orchestrator.child.pid);
        return { declared, chunked, before, after, healthy: (yield* Effect.promise(() => orchestrator.get("/healthz"))).status };
      })
    );
    console.log(`orchestrator RSS around two 150 MB POSTs: ${outcome.before.toFixed(1)} MB before, ${outcome.after.toFixed(1)} MB after`);
    expect(outcome.declared).toBe(413);
    expect(outcome.chunked).toBe(413);
    expect(outcome.after - outcome.before).toBeLessThan(8);
    expect(outcome.healthy).toBe(200);
  });
});
