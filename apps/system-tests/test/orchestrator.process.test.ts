// The real orchestrator process (`nx run orchestrator:serve`) against the real
// broker and a PostgreSQL database of its own. Messages are hand-built and
// published straight to its reply queue; what it did is read back through its
// HTTP API and its database (SPEC §5, §6) — never through its logs.
import { randomUUID } from "node:crypto";
import { Effect, Fiber } from "effect";
import { MAX_MESSAGE_BYTES } from "@homelab/protocol";
import { runLive, testDatabase, testQueues, uniqueName, heartbeat, replyPublisher, resources, shutdown } from "@homelab/testing";
import { eventually, observeFor, within } from "./support/childProcess.ts";
import { appliedOrRejected, badMessages, drainDeadLetters, rejectedCounts } from "./support/deadLetters.ts";
import { capacityAgentIds, getAgent, metricValue, startOrchestrator, type AgentView, type RunningOrchestrator } from "./support/orchestratorProcess.ts";
import { registryDb } from "./support/registryDb.ts";
import { suiteResources } from "./support/suite.ts";

const TIMEOUT_SECONDS = 3;
const SWEEP_SECONDS = 1;
/**
 * How long after /readyz the restarted orchestrator is watched for NOT marking
 * a stale agent offline: well inside the 3 s grace (which starts a little
 * before /readyz answers), and long enough for the sweeps it runs every
 * second to have acted without a grace period.
 */
const GRACE_WATCH_MS = 1500;
/** Two orchestrator start-ups and a grace period: more than Jest's default 30 s on a loaded machine, still bounded. */
const SLOW_TEST_MS = 60_000;
const timings = { heartbeatTimeoutSeconds: TIMEOUT_SECONDS, sweepIntervalSeconds: SWEEP_SECONDS };

/** One orchestrator, database and reply queue for the tests that only send messages. */
const suite = suiteResources(
  Effect.gen(function* () {
    const database = yield* testDatabase("orch_proc");
    const queues = yield* testQueues();
    const replyQueue = queues.name("replies");
    const publisher = yield* replyPublisher(replyQueue);
    const orchestrator = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings });
    const db = yield* registryDb(database.url);
    return { database, replyQueue, publisher, orchestrator, db };
  })
);

/** Waits until GET /agents/:id shows the agent with this last_seq: the heartbeat's receipt. */
const appliedSeq = (orchestrator: RunningOrchestrator, agentId: string, seq: number, timeoutMs = 5000) =>
  eventually(
    `agent ${agentId} at seq ${seq}`,
    () => getAgent(orchestrator, agentId),
    (a): a is AgentView => a !== undefined && a.last_seq === seq,
    timeoutMs
  );

const statusOf = (orchestrator: RunningOrchestrator, agentId: string, status: AgentView["status"], timeoutMs: number) =>
  eventually(
    `agent ${agentId} ${status}`,
    () => getAgent(orchestrator, agentId),
    (a): a is AgentView => a?.status === status,
    timeoutMs
  );

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

describe("orchestrator process: heartbeat ingest", () => {
  it("registers an unknown agent on its first heartbeat: online, pool <agent_type>_pool_1, capabilities and resources as sent", async () => {
    const { orchestrator, publisher, db } = suite();
    const agentId = uniqueName("first");
    const bootId = randomUUID();
    expect(await getAgent(orchestrator, agentId)).toBeUndefined();

    const sent = heartbeat({ agentId, bootId, seq: 0, agentType: "server", capabilities: ["echo", "transcode"] });
    await publisher.send(sent);
    const agent = await appliedSeq(orchestrator, agentId, 0);

    expect(agent).toMatchObject({
      agent_id: agentId,
      agent_type: "server",
      pool_name: "server_pool_1",
      status: "online",
      reported_status: "online",
      capabilities: ["echo", "transcode"],
      boot_id: bootId,
      last_seq: 0
    });
    expect(agent.resource_metrics).toEqual(sent.payload.resources);
    expect(await db.transitions(agentId)).toEqual([{ from_status: null, to_status: "online", reason: "first heartbeat" }]);
  });

  it("sets last_heartbeat_at from its own clock even when the agent's clock is 10 minutes behind or ahead", async () => {
    const { orchestrator, publisher, db } = suite();
    const agentId = uniqueName("skew");
    const bootId = randomUUID();

    const behind = minutes(-10);
    await publisher.send(heartbeat({ agentId, bootId, seq: 0, sentAt: behind, resources: resources({ collected_at: behind }) }));
    const afterBehind = await appliedSeq(orchestrator, agentId, 0);
    const seenBehind = Date.now();

    const ahead = minutes(10);
    await publisher.send(heartbeat({ agentId, bootId, seq: 1, sentAt: ahead, resources: resources({ collected_at: ahead }) }));
    const afterAhead = await appliedSeq(orchestrator, agentId, 1);
    const seenAhead = Date.now();
    const row = await db.agent(agentId);

    expect(Math.abs(Date.parse(afterBehind.last_heartbeat_at) - seenBehind)).toBeLessThan(3000);
    expect(Math.abs(Date.parse(afterAhead.last_heartbeat_at) - seenAhead)).toBeLessThan(3000);
    expect(Date.parse(afterAhead.last_heartbeat_at)).toBeGreaterThanOrEqual(Date.parse(afterBehind.last_heartbeat_at));
    // The agent's own times are kept as data, never used as the receipt time.
    expect(afterAhead.resource_metrics["collected_at"]).toBe(ahead);
    expect(row?.heartbeat_age_seconds).toBeLessThan(3);
    expect(row?.heartbeat_age_seconds).toBeGreaterThanOrEqual(0);
  });

  it("never lets a delayed older heartbeat (lower seq) or a redelivered one (equal seq) of the same boot overwrite newer data", async () => {
    const { orchestrator, publisher, db } = suite();
    const agentId = uniqueName("order");
    const bootId = randomUUID();
    const newer = resources({ memory_available_gb: 30, cpu_load_1min: 0.5, cpu_cores_available: 15.5 });
    await publisher.send(heartbeat({ agentId, bootId, seq: 5, resources: newer }));
    await appliedSeq(orchestrator, agentId, 5);
    const ignoredBefore = metricValue(await orchestrator.getText("/metrics"), "homelab_heartbeats_ignored_total");

    await publisher.send(heartbeat({ agentId, bootId, seq: 3, resources: resources({ memory_available_gb: 10 }) }));
    await publisher.send(heartbeat({ agentId, bootId, seq: 5, resources: resources({ memory_available_gb: 11 }) }));
    // Receipt: both were processed and counted as ignored.
    await eventually(
      "two heartbeats ignored",
      async () => metricValue(await orchestrator.getText("/metrics"), "homelab_heartbeats_ignored_total"),
      (n) => n >= ignoredBefore + 2,
      5000
    );

    const agent = await getAgent(orchestrator, agentId);
    const row = await db.agent(agentId);
    expect(agent?.last_seq).toBe(5);
    expect(agent?.resource_metrics).toEqual(newer);
    expect(row).toMatchObject({ last_seq: 5, boot_id: bootId, resource_metrics: newer });
  });

  it("keeps an agent's capabilities through every later heartbeat", async () => {
    const { orchestrator, publisher, db } = suite();
    const agentId = uniqueName("caps");
    const bootId = randomUUID();
    const capabilities = ["echo", "transcode", "whisper:large-v3"];
    const seen: Array<ReadonlyArray<string>> = [];
    for (let seq = 0; seq < 4; seq++) {
      await publisher.send(heartbeat({ agentId, bootId, seq, capabilities, resources: resources({ cpu_load_1min: seq }) }));
      seen.push((await appliedSeq(orchestrator, agentId, seq)).capabilities);
    }
    expect(seen).toEqual([capabilities, capabilities, capabilities, capabilities]);
    expect((await db.agent(agentId))?.capabilities).toEqual(capabilities);
  });

  it("marks an agent offline at once on agent_shutdown, and its next heartbeat brings it back online", async () => {
    const { orchestrator, publisher, db } = suite();
    const agentId = uniqueName("bye");
    const bootId = randomUUID();
    await publisher.send(heartbeat({ agentId, bootId, seq: 0 }));
    await appliedSeq(orchestrator, agentId, 0);

    const shutdownAt = Date.now();
    await publisher.send(shutdown(agentId, bootId));
    await statusOf(orchestrator, agentId, "offline", 2000);
    const offlineAfterMs = Date.now() - shutdownAt;
    expect(await capacityAgentIds(orchestrator)).not.toContain(agentId);

    // Restarted: a new boot, seq from 0 again.
    const nextBoot = randomUUID();
    await publisher.send(heartbeat({ agentId, bootId: nextBoot, seq: 0 }));
    const back = await statusOf(orchestrator, agentId, "online", 5000);

    expect(offlineAfterMs).toBeLessThan(TIMEOUT_SECONDS * 1000);
    expect(back.boot_id).toBe(nextBoot);
    expect(await capacityAgentIds(orchestrator)).toContain(agentId);
    expect(await db.transitions(agentId)).toEqual([
      { from_status: null, to_status: "online", reason: "first heartbeat" },
      { from_status: "online", to_status: "offline", reason: "agent_shutdown" },
      { from_status: "offline", to_status: "online", reason: "heartbeat" }
    ]);
  });

  it("applies a heartbeat and the agent_shutdown sent right after it in order: the agent ends offline", async () => {
    const { orchestrator, publisher, db } = suite();
    const agentId = uniqueName("lastbeat");
    const bootId = randomUUID();
    await publisher.send(heartbeat({ agentId, bootId, seq: 0 }));
    await appliedSeq(orchestrator, agentId, 0);

    // An agent stopped just after a heartbeat: both messages are in the queue, in this order.
    await publisher.send(heartbeat({ agentId, bootId, seq: 1 }));
    await publisher.send(shutdown(agentId, bootId));
    // Receipt: the heartbeat was written and the shutdown recorded.
    await eventually(
      "heartbeat 1 and agent_shutdown both applied",
      async () => ({ row: await db.agent(agentId), transitions: await db.transitions(agentId) }),
      (o) => o.row?.last_seq === 1 && o.transitions.some((t) => t.reason === "agent_shutdown"),
      5000
    );

    expect((await getAgent(orchestrator, agentId))?.status).toBe("offline");
    expect(await db.transitions(agentId)).toEqual([
      { from_status: null, to_status: "online", reason: "first heartbeat" },
      { from_status: "online", to_status: "offline", reason: "agent_shutdown" }
    ]);
  });
});

describe("orchestrator process: bad input (SPEC §6)", () => {
  it("dead-letters each kind of bad message with its reason, counts it in /metrics, and applies every valid heartbeat around them", async () => {
    const { orchestrator, publisher, db, replyQueue } = suite();
    const valid = Array.from({ length: 10 }, (_, i) => ({ agentId: uniqueName(`poison${i}`), bootId: randomUUID(), seq: 10 + i }));
    const bad = badMessages();
    const rejectedBefore = await rejectedCounts(orchestrator);
    for (const [i, [, message]] of bad.entries()) {
      const v = valid[i];
      if (v !== undefined) await publisher.send(heartbeat(v));
      await publisher.sendRaw(message.contentType, message.body);
    }
    const last = valid[valid.length - 1];
    if (last !== undefined) await publisher.send(heartbeat(last));

    const ids = valid.map((v) => v.agentId);
    const applied = await eventually("every valid heartbeat applied", () => db.lastSeqs(ids), (m) => m.size === ids.length, 10_000);
    const dead = await drainDeadLetters(`${replyQueue}.dead`, bad.length);
    // The counter moves just after the dead letter is confirmed: wait for it too.
    const rejectedAfter = await eventually(
      "every rejection counted",
      () => rejectedCounts(orchestrator),
      (after) => bad.every(([reason]) => (after[reason] ?? 0) > (rejectedBefore[reason] ?? 0)),
      5000
    );

    expect(Object.fromEntries(applied)).toEqual(Object.fromEntries(valid.map((v) => [v.agentId, v.seq])));
    expect(dead.map((d) => d.reason).sort()).toEqual(bad.map(([reason]) => reason).sort());
    for (const [reason, message] of bad) {
      const letter = dead.find((d) => d.reason === reason);
      expect({ reason, detail: typeof letter?.detail, originalContentType: letter?.originalContentType }).toEqual({
        reason,
        detail: "string",
        originalContentType: message.contentType
      });
      // Nothing lost: the dead letter carries the very body that was sent.
      expect({ reason, same: letter?.body.equals(message.body) }).toEqual({ reason, same: true });
      expect({ reason, counted: (rejectedAfter[reason] ?? 0) - (rejectedBefore[reason] ?? 0) }).toEqual({ reason, counted: 1 });
    }
    expect(await getAgent(orchestrator, "poison-base")).toBeUndefined();
  });

  // rabbitmq-client would parse application/json bodies itself (lossy
  // Buffer.toString + JSON.parse); the consumer keeps them raw so that the
  // UTF-8 and on-the-wire size checks see the bytes as sent.
  it("dead-letters a JSON body that is not valid UTF-8 as not_utf8, whatever its content type says", async () => {
    const { orchestrator, publisher, replyQueue } = suite();
    const agentId = uniqueName("latin1");
    const sent = heartbeat({
      agentId,
      bootId: randomUUID(),
      seq: 0,
      resources: resources({ collection_errors: [{ source: "gpu", message: "r\u00e9sum\u00e9" }] })
    });
    // "résumé" written in Latin-1 (0xE9), as a misconfigured sender would: valid JSON, not UTF-8.
    const body = Buffer.from(JSON.stringify(sent), "latin1");
    expect(body.includes(Buffer.from([0x72, 0xe9, 0x73]))).toBe(true);

    const outcome = await appliedOrRejected(orchestrator, agentId, "not_utf8", () => publisher.sendRaw("application/json", body));

    expect(outcome).toEqual({ registered: false, rejected: 1 });
    const [letter] = await drainDeadLetters(`${replyQueue}.dead`, 1);
    expect(letter?.reason).toBe("not_utf8");
  });

  it("dead-letters a message over 1 MiB on the wire as oversized, even when its JSON would re-encode smaller", async () => {
    const { orchestrator, publisher, replyQueue } = suite();
    const agentId = uniqueName("padded");
    // A valid heartbeat followed by whitespace (legal JSON) up to 1.2 MB on the wire.
    const body = Buffer.from(JSON.stringify(heartbeat({ agentId, bootId: randomUUID(), seq: 0 })) + " ".repeat(MAX_MESSAGE_BYTES + 150_000));
    expect(body.length).toBeGreaterThan(MAX_MESSAGE_BYTES);

    const outcome = await appliedOrRejected(orchestrator, agentId, "oversized", () => publisher.sendRaw("application/json", body));

    expect(outcome).toEqual({ registered: false, rejected: 1 });
    const [letter] = await drainDeadLetters(`${replyQueue}.dead`, 1);
    expect(letter?.reason).toBe("oversized");
  });
});

describe("orchestrator process: liveness", () => {
  it("gives agents one full timeout after its own start, then marks the silent ones offline and leaves them out of /capacity", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const database = yield* testDatabase("orch_restart");
        const queues = yield* testQueues();
        const replyQueue = queues.name("replies");
        const publisher = yield* replyPublisher(replyQueue);
        const db = yield* registryDb(database.url);
        const silent = uniqueName("silent");
        const alive = uniqueName("alive");
        const aliveBoot = randomUUID();
        let aliveSeq = 0;
        const beatAlive = () => publisher.send(heartbeat({ agentId: alive, bootId: aliveBoot, seq: aliveSeq++ }));

        // Before the restart: both agents register with the first orchestrator, which then stops.
        yield* Effect.scoped(
          Effect.gen(function* () {
            const first = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings });
            yield* Effect.promise(async () => {
              await publisher.send(heartbeat({ agentId: silent, bootId: randomUUID(), seq: 0 }));
              await beatAlive();
              await appliedSeq(first, silent, 0);
              await appliedSeq(first, alive, 0);
            });
          })
        );
        // The orchestrator was down for 10 s: the silent agent's last heartbeat is
        // older than the timeout when the next one starts, so only the grace
        // period keeps the first sweeps from marking it offline. (Shifting the
        // row's time stands in for waiting 10 s of real time.)
        yield* Effect.promise(() => db.backdateHeartbeat(silent, 10));

        // The other agent keeps heartbeating, before and after the restart (its
        // messages wait in the queue meanwhile), as a live agent does.
        const beating = yield* Effect.forkScoped(
          Effect.promise(beatAlive).pipe(Effect.andThen(Effect.sleep("400 millis")), Effect.forever)
        );
        const second = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...timings });
        return yield* Effect.promise(async () => {
          const ageAtStart = (await db.agent(silent))?.heartbeat_age_seconds ?? 0;
          const duringGrace = await observeFor(async () => (await getAgent(second, silent))?.status, GRACE_WATCH_MS);
          const offline = await statusOf(second, silent, "offline", (TIMEOUT_SECONDS + 2 * SWEEP_SECONDS + 2) * 1000);
          const offlineAfterStartMs = Date.now() - second.readyAt;
          const capacity = await capacityAgentIds(second);
          const aliveNow = await getAgent(second, alive);
          return { ageAtStart, duringGrace, offline, offlineAfterStartMs, capacity, aliveNow, transitions: await db.transitions(silent) };
        }).pipe(Effect.ensuring(Fiber.interrupt(beating)));
      })
    );

    expect(outcome.ageAtStart).toBeGreaterThan(TIMEOUT_SECONDS);
    expect(new Set(outcome.duringGrace)).toEqual(new Set(["online"]));
    expect(outcome.offline.status).toBe("offline");
    expect(outcome.offlineAfterStartMs).toBeLessThan((TIMEOUT_SECONDS + 2 * SWEEP_SECONDS + 2) * 1000);
    expect(outcome.aliveNow?.status).toBe("online");
    expect(outcome.capacity).toContain(outcome.aliveNow?.agent_id);
    expect(outcome.capacity).not.toContain(outcome.offline.agent_id);
    expect(outcome.transitions).toEqual([
      { from_status: null, to_status: "online", reason: "first heartbeat" },
      { from_status: "online", to_status: "offline", reason: `no heartbeat for over ${TIMEOUT_SECONDS} s` }
    ]);
  }, SLOW_TEST_MS);
});

describe("orchestrator process: shutdown", () => {
  it("exits 0 within 10 s of SIGTERM", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const database = yield* testDatabase("orch_stop");
        const queues = yield* testQueues();
        const orchestrator = yield* startOrchestrator({ databaseUrl: database.url, replyQueue: queues.name("replies"), ...timings });
        return yield* Effect.promise(async () => {
          const signalledAt = Date.now();
          orchestrator.child.signal("SIGTERM");
          const exit = await within(orchestrator.child.exited, 15_000);
          return { exit, seconds: (Date.now() - signalledAt) / 1000, stderr: orchestrator.child.stderr() };
        });
      })
    );
    expect({ exit: outcome.exit, stderr: outcome.exit === "timed out" || outcome.exit.code !== 0 ? outcome.stderr : "" }).toEqual({
      exit: { code: 0, signal: null },
      stderr: ""
    });
    expect(outcome.seconds).toBeLessThan(10);
  });
});
