// Ingest against the real PostgreSQL with data the protocol would refuse
// today but an older build, a bug or a hand-written message could still
// bring: one bad message costs one dead letter, every other message in its
// batch is applied exactly once, and the database is never reported down.
import { randomUUID } from "node:crypto";
import { Deferred, Effect, Layer, Option, Redacted } from "effect";
import type { Message, StatusUpdate } from "@homelab/protocol";
import { AgentRegistry, postgresDatabase, registryLayer, WorkRegistry } from "@homelab/registry";
import { runLive, testDatabase, heartbeat as wireHeartbeat, resources, shutdown as wireShutdown } from "@homelab/testing";
import { type IngestHooks, makeIngest } from "../src/Ingest.ts";
import type { Handled } from "@homelab/broker";

const BOOT = "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f";
const OTHER_BOOT = "9d2c1b0a-8e7f-4a6b-b5c4-d3e2f1a0b902";

/** Hooks that record nothing, for tests that look only at the registry and the settlements. */
const quietHooks: IngestHooks = {
  databaseUp: () => Effect.void,
  batchCommitted: () => Effect.void,
  wentOffline: () => Effect.void,
  shutdownIgnored: () => Effect.void,
  workFinished: () => Effect.void
};

const heartbeat = (agentId: string, gpuName = "NVIDIA GeForce RTX 4090"): Message => {
  const message = wireHeartbeat({ agentId, bootId: BOOT, seq: 1, capabilities: ["echo"] });
  const base = resources();
  const payload: StatusUpdate = { ...message.payload, resources: { ...base, gpus: base.gpus.map((g) => ({ ...g, name: gpuName })) } };
  return { ...message, payload };
};

describe("ingest on the real database", () => {
  it("dead-letters only the messages the database refuses (unstorable) and applies every other one in the batch", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const db = yield* testDatabase("ingest");
        const registry = Layer.orDie(registryLayer(postgresDatabase(Redacted.make(db.url))));
        return yield* Effect.gen(function* () {
          const reported: Array<boolean> = [];
          const ingest = yield* makeIngest({
            maxBatch: 100,
            lingerMs: 50,
            hooks: { ...quietHooks, databaseUp: (up) => Effect.sync(() => void reported.push(up)) }
          });
          // A result for booked work whose started_at (year 0000) PostgreSQL cannot hold.
          const agents = yield* AgentRegistry;
          yield* agents.applyHeartbeats([heartbeat("worker").payload as StatusUpdate]);
          const booked = yield* (yield* WorkRegistry).route({ work_id: randomUUID(), kind: "echo", params: {}, requirements: {}, timeout_seconds: 60 });
          const messages: Array<Message> = Array.from({ length: 20 }, (_, i) =>
            heartbeat(`desk-${i}`, i === 5 ? "RTX\u00004090" : i === 13 ? "RTX \ud800" : "NVIDIA GeForce RTX 4090")
          );
          const results: Array<Message> = [];
          if (booked._tag !== "Booked") return yield* Effect.die(`nothing booked: ${booked.reason}`);
          {
            const sent = wireHeartbeat({ agentId: "worker", bootId: BOOT, seq: 2 });
            results.push({
              ...sent,
              type: "work_result",
              payload: {
                work_id: booked.work.work_id,
                agent_id: sent.payload.agent_id,
                status: "succeeded",
                exit_code: 0,
                output: "",
                error: null,
                started_at: "0000-01-01T00:00:00Z",
                finished_at: "2025-01-01T00:00:00Z"
              }
            } as Message);
          }
          const settled = yield* Effect.forEach(
            [...messages, ...results],
            (message) =>
              Effect.gen(function* () {
                const done = yield* Deferred.make<Handled>();
                ingest.handle(message, (handled) => Deferred.doneUnsafe(done, Effect.succeed(handled)), { userId: undefined });
                return done;
              })
          ).pipe(Effect.flatMap((all) => Effect.forEach(all, Deferred.await)));
          const stored = yield* agents.listAgents({});
          return { settled, stored: stored.map((a) => a.agent_id), reported };
        }).pipe(Effect.provide(registry));
      })
    );
    const rejected = outcome.settled.flatMap((h, i) => (h._tag === "Reject" ? [{ i, reason: h.reason, detail: h.detail }] : []));
    expect(rejected.map((r) => [r.i, r.reason])).toEqual([
      [5, "unstorable"],
      [13, "unstorable"],
      [20, "unstorable"]
    ]);
    expect(rejected[0]?.detail).toMatch(/^applyHeartbeats: /);
    expect(rejected[2]?.detail).toMatch(/^recordResult: /);
    expect(outcome.settled.filter((h) => h._tag === "Ack")).toHaveLength(18);
    expect(outcome.stored).toHaveLength(19);
    expect(outcome.stored).not.toContain("desk-5");
    expect(outcome.stored).not.toContain("desk-13");
    expect(outcome.reported).not.toContain(false);
  });

  it("takes an agent offline on agent_shutdown only from the boot the registry holds; another boot's is ignored and counted", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const db = yield* testDatabase("ingest_shutdown");
        return yield* Effect.gen(function* () {
          const ignored: Array<string> = [];
          const ingest = yield* makeIngest({
            maxBatch: 10,
            lingerMs: 10,
            hooks: {
              ...quietHooks,
              shutdownIgnored: (agentId, bootId, registered) => Effect.sync(() => void ignored.push(`${agentId} ${bootId} ${registered}`))
            }
          });
          const handle = (message: Message) =>
            Effect.callback<Handled>((resume) => ingest.handle(message, (handled) => resume(Effect.succeed(handled)), { userId: undefined }));
          const agents = yield* AgentRegistry;
          yield* handle(heartbeat("victim"));
          const forged = yield* handle(wireShutdown("victim", OTHER_BOOT));
          const afterForged = Option.getOrThrow(yield* agents.getAgent("victim")).status;
          const real = yield* handle(wireShutdown("victim", BOOT));
          const afterReal = Option.getOrThrow(yield* agents.getAgent("victim")).status;
          return { forged, afterForged, real, afterReal, ignored };
        }).pipe(Effect.provide(Layer.orDie(registryLayer(postgresDatabase(Redacted.make(db.url))))));
      })
    );
    expect(outcome.forged).toEqual({ _tag: "Ack" });
    expect(outcome.afterForged).toBe("online");
    expect(outcome.ignored).toEqual([`victim ${OTHER_BOOT} ${BOOT}`]);
    expect(outcome.real).toEqual({ _tag: "Ack" });
    expect(outcome.afterReal).toBe("offline");
  });
});

describe("ingest with broker identities (AGENT_IDENTITY=broker_user)", () => {
  it("takes an agent's message only with a broker-validated user_id that is that agent, and dead-letters the rest as unauthenticated", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const db = yield* testDatabase("ingest_identity");
        return yield* Effect.gen(function* () {
          const ingest = yield* makeIngest({
            maxBatch: 10,
            lingerMs: 10,
            agentIdentity: "broker_user",
            hooks: quietHooks
          });
          const handle = (message: Message, userId: string | undefined) =>
            Effect.callback<Handled>((resume) => ingest.handle(message, (handled) => resume(Effect.succeed(handled)), { userId }));
          const forgedNoUser = yield* handle(heartbeat("victim"), undefined);
          const forgedOtherUser = yield* handle(heartbeat("victim"), "rogue");
          const forgedShutdown = yield* handle(wireShutdown("victim", BOOT), "rogue");
          const own = yield* handle(heartbeat("victim"), "victim");
          const stored = yield* (yield* AgentRegistry).listAgents({});
          return { forgedNoUser, forgedOtherUser, forgedShutdown, own, stored: stored.map((a) => `${a.agent_id} ${a.status}`) };
        }).pipe(Effect.provide(Layer.orDie(registryLayer(postgresDatabase(Redacted.make(db.url))))));
      })
    );
    expect(outcome.forgedNoUser).toMatchObject({ _tag: "Reject", reason: "unauthenticated", detail: expect.stringMatching(/^no user_id/) });
    expect(outcome.forgedOtherUser).toEqual({ _tag: "Reject", reason: "unauthenticated", detail: 'user_id "rogue" may not speak for agent victim' });
    expect(outcome.forgedShutdown).toMatchObject({ _tag: "Reject", reason: "unauthenticated" });
    expect(outcome.own).toEqual({ _tag: "Ack" });
    expect(outcome.stored).toEqual(["victim online"]);
  });
});
