// Who may speak for an agent, on a RabbitMQ of the test's own with a TLS
// listener (a CA and server certificate made here with openssl): the
// orchestrator runs with AGENT_IDENTITY=broker_user and consumes over TLS;
// each agent has its own broker user made by the real add-agent command
// (one through rabbitmqctl, one through the management API) and heartbeats
// over TLS. A process holding agent A's credentials then tries every
// forgery against agent B.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Effect } from "effect";
import { Connection } from "rabbitmq-client";
import { AgentId, CONTENT_TYPE, encodeMessage, makeEnvelope, type Message, workQueueName } from "@homelab/protocol";
import { heartbeat, runLive, shutdown, testCertificates, testDatabase, uniqueName, workRequest } from "@homelab/testing";
import { AGENT_UP_MS, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, repoRoot } from "./support/childProcess.ts";
import { drainDeadLetters, rejectedCounts } from "./support/deadLetters.ts";
import { getAgent, startOrchestrator } from "./support/orchestratorProcess.ts";
import { privateBroker } from "./support/privateServices.ts";
import { suiteResources } from "./support/suite.ts";
import { finished, submit, workView } from "./support/work.ts";

const AGENTS_MAIN = path.join(repoRoot, "dist/apps/orchestrator/agents.mjs");

beforeAll(requireAgentBundle);

/** Runs the real add-agent command (the orchestrator's bundle) and returns the AMQP_URL it printed. */
const addAgent = (agentId: string, args: ReadonlyArray<string>, env: Readonly<Record<string, string>>) =>
  new Promise<string>((resolve, reject) => {
    if (!existsSync(AGENTS_MAIN)) return reject(new Error(`${AGENTS_MAIN} is missing: run npx nx run orchestrator:build first`));
    execFile(process.execPath, [AGENTS_MAIN, "add", agentId, ...args], { cwd: repoRoot, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const url = /^AMQP_URL=(.*)$/m.exec(stdout)?.[1];
      if (error !== null || url === undefined) return reject(new Error(`add-agent ${agentId} failed: ${error?.message ?? ""}\n${stdout}\n${stderr}`));
      resolve(url);
    });
  });

/** A process that holds one agent's broker credentials and tries what it should not. */
const forger = async (url: string, ca: string) => {
  const connection = new Connection({ url, noDelay: true, tls: { ca }, retryLow: 200, retryHigh: 200 });
  connection.on("error", () => undefined);
  await connection.onConnect(10_000);
  const outcome = (p: Promise<unknown>) => p.then(() => "OK", (e: { code?: string }) => e.code ?? String(e));
  return {
    connection,
    /** Publishes on a channel of its own, confirmed; "OK" or the broker's refusal. */
    publish: async (queue: string, message: Message, userId: string | undefined) => {
      const ch = await connection.acquire();
      try {
        await ch.confirmSelect();
        return await outcome(
          ch.basicPublish(
            { routingKey: queue, contentType: CONTENT_TYPE, durable: true, messageId: message.message_id, ...(userId === undefined ? {} : { userId }) },
            Buffer.from(encodeMessage(message))
          )
        );
      } finally {
        await ch.close().catch(() => undefined);
      }
    },
    consume: async (queue: string) => {
      const ch = await connection.acquire();
      const result = await outcome(ch.basicConsume({ queue }, () => undefined));
      await ch.close().catch(() => undefined);
      return result;
    },
    get: async (queue: string) => {
      const ch = await connection.acquire();
      const result = await outcome(ch.basicGet({ queue }));
      await ch.close().catch(() => undefined);
      return result;
    }
  };
};

const forgedResult = (agentId: string, workId: string): Message =>
  makeEnvelope({
    type: "work_result",
    message_id: randomUUID(),
    sent_at: new Date().toISOString(),
    sender: AgentId.make(agentId),
    correlation_id: workId,
    payload: {
      work_id: workId,
      agent_id: AgentId.make(agentId),
      status: "succeeded",
      exit_code: 0,
      output: "forged output\n",
      error: null,
      started_at: new Date().toISOString(),
      finished_at: new Date().toISOString()
    }
  });

const suite = suiteResources(
  Effect.gen(function* () {
    const certs = yield* Effect.acquireRelease(Effect.sync(testCertificates), (c) => Effect.sync(c.remove));
    // Valid for "localhost" only: 127.0.0.1 is a name the certificate does not list.
    const server = certs.issue("broker", ["localhost"]);
    const broker = yield* privateBroker({ tls: { caFile: certs.caFile, certFile: server.cert, keyFile: server.key }, management: true });
    const tlsBase = `localhost:${broker.tlsPort}`;
    const orchestratorUrl = `amqps://guest:guest@${tlsBase}`;
    const database = yield* testDatabase("identity_system");
    const replyQueue = uniqueName("replies");
    const orchestrator = yield* startOrchestrator({
      databaseUrl: database.url,
      replyQueue,
      amqpUrl: orchestratorUrl,
      heartbeatTimeoutSeconds: 3,
      sweepIntervalSeconds: 1,
      env: { AMQP_CA_FILE: certs.caFile, AGENT_IDENTITY: "broker_user" }
    });
    const [a, b] = [uniqueName("ida"), uniqueName("idb")];
    const adminEnv = { AMQP_URL: orchestratorUrl, AMQP_CA_FILE: certs.caFile, REPLY_QUEUE: replyQueue };
    // One user through rabbitmqctl, the other through the management HTTP API.
    const urlA = yield* Effect.promise(() => addAgent(a, ["--host", "localhost"], { ...adminEnv, ...broker.ctlEnv }));
    const urlB = yield* Effect.promise(() => addAgent(b, ["--host", "localhost", "--management-url", broker.managementUrl ?? ""], adminEnv));
    const markers = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(path.join(os.tmpdir(), "identity-marks-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    );
    const agentEnv = { AMQP_CA_FILE: certs.caFile, ORCHESTRATOR_USER: "guest" };
    yield* startAgent({ agentId: a, replyQueue, amqpUrl: urlA, env: agentEnv, config: `tasks:\n  mark:\n    command: ["touch", "{path}"]\n` });
    yield* startAgent({ agentId: b, replyQueue, amqpUrl: urlB, env: agentEnv, config: `tasks:\n  sleep:\n    command: ["sleep", "{seconds}"]\n` });
    for (const id of [a, b]) {
      yield* Effect.promise(() => eventually(`agent ${id} online over TLS with its own broker user`, () => getAgent(orchestrator, id), (v) => v?.status === "online", AGENT_UP_MS));
    }
    const ca = readFileSync(certs.caFile, "utf8");
    const asA = yield* Effect.acquireRelease(Effect.promise(() => forger(urlA, ca)), (f) => Effect.promise(() => f.connection.close()));
    const asB = yield* Effect.acquireRelease(Effect.promise(() => forger(urlB, ca)), (f) => Effect.promise(() => f.connection.close()));
    return { certs, broker, orchestrator, replyQueue, a, b, urlA, asA, asB, markers, tlsBase, adminEnv };
  }),
  120_000
);

describe("broker identities (AGENT_IDENTITY=broker_user, users from add-agent, all over TLS)", () => {
  it("agent A's credentials cannot speak for agent B: a heartbeat, a result for B's running work and a shutdown with B's boot are dead-lettered unauthenticated, and B is untouched", async () => {
    const { orchestrator, replyQueue, a, b, asA, broker } = suite();
    const before = await getAgent(orchestrator, b);
    const work = await submit(orchestrator, { kind: "sleep", params: { seconds: "30" }, timeout_seconds: 60 });
    await eventually(`B's work ${work.work_id} running`, () => workView(orchestrator, work.work_id), (w) => w.state === "running", 15_000);
    const rejectedBefore = (await rejectedCounts(orchestrator))["unauthenticated"] ?? 0;

    const tries = {
      heartbeatAsB: await asA.publish(replyQueue, heartbeat({ agentId: b, bootId: randomUUID(), seq: 1 }), a),
      resultForBsWork: await asA.publish(replyQueue, forgedResult(b, work.work_id), a),
      shutdownOfBsBoot: await asA.publish(replyQueue, shutdown(b, before?.boot_id ?? ""), a),
      heartbeatAsBWithoutUserId: await asA.publish(replyQueue, heartbeat({ agentId: b, bootId: randomUUID(), seq: 1 }), undefined),
      claimingToBeB: await asA.publish(replyQueue, heartbeat({ agentId: b, bootId: randomUUID(), seq: 1 }), b)
    };
    expect(tries).toEqual({
      heartbeatAsB: "OK",
      resultForBsWork: "OK",
      shutdownOfBsBoot: "OK",
      heartbeatAsBWithoutUserId: "OK",
      // The broker itself refuses a user_id that is not the connection's user.
      claimingToBeB: "PRECONDITION_FAILED"
    });
    await eventually(
      "the four forgeries dead-lettered as unauthenticated",
      async () => ((await rejectedCounts(orchestrator))["unauthenticated"] ?? 0) - rejectedBefore,
      (n) => n >= 4,
      10_000
    );
    const letters = await drainDeadLetters(`${replyQueue}.dead`, 4, broker.url);
    expect(letters.map((l) => l.reason)).toEqual(["unauthenticated", "unauthenticated", "unauthenticated", "unauthenticated"]);

    // B: same boot, still heartbeating, its work still running with no forged output.
    const after = await eventually("B heartbeating on", () => getAgent(orchestrator, b), (v) => (v?.last_seq ?? 0) > (before?.last_seq ?? 0) + 1, 10_000);
    expect([after?.status, after?.boot_id]).toEqual(["online", before?.boot_id]);
    const stillRunning = await workView(orchestrator, work.work_id);
    expect([stillRunning.state, stillRunning.result]).toEqual(["running", null]);
  });

  it("agent A's credentials cannot read or take B's work queue", async () => {
    const { b, asA } = suite();
    expect([await asA.consume(workQueueName(b)), await asA.get(workQueueName(b))]).toEqual(["ACCESS_REFUSED", "ACCESS_REFUSED"]);
  });

  it("a work request forged onto A's queue (by B's user, or by A's own) is answered rejected and not run; the orchestrator's own request runs", async () => {
    const { orchestrator, replyQueue, a, b, asA, asB, markers, broker } = suite();
    const forgedByB = path.join(markers, "forged-by-b");
    const forgedByA = path.join(markers, "forged-by-a");
    const real = path.join(markers, "real");
    const published = [
      await asB.publish(workQueueName(a), workRequest(randomUUID(), "mark", { path: forgedByB }), b),
      await asA.publish(workQueueName(a), workRequest(randomUUID(), "mark", { path: forgedByA }), a)
    ];
    expect(published).toEqual(["OK", "OK"]);
    const done = await finished(orchestrator, (await submit(orchestrator, { kind: "mark", params: { path: real } })).work_id);
    expect(done.state).toBe("succeeded");
    // A's answers to the forged requests name work the orchestrator never handed out.
    const letters = await drainDeadLetters(`${replyQueue}.dead`, 2, broker.url);
    expect(letters.map((l) => [l.reason, JSON.parse(l.body.toString()).payload.status, JSON.parse(l.body.toString()).payload.error])).toEqual([
      ["unknown_work", "rejected", expect.stringMatching(/^unauthenticated/)],
      ["unknown_work", "rejected", expect.stringMatching(/^unauthenticated/)]
    ]);
    expect([existsSync(forgedByB), existsSync(forgedByA), existsSync(real)]).toEqual([false, false, true]);
  });
});

describe("AMQP over TLS", () => {
  it("an agent that does not trust the broker's CA fails naming the broker and AMQP_CA_FILE, and retries on the backoff; one reaching it by an unlisted name is told so", async () => {
    const { replyQueue, urlA, tlsBase, broker } = suite();
    const outcome = await runLive(
      Effect.gen(function* () {
        const untrusting = yield* startAgent({ agentId: uniqueName("idc"), replyQueue, amqpUrl: urlA });
        const wrongName = yield* startAgent({
          agentId: uniqueName("idd"),
          replyQueue,
          amqpUrl: urlA.replace(tlsBase, `127.0.0.1:${broker.tlsPort}`),
          env: { AMQP_CA_FILE: suite().certs.caFile }
        });
        const second = yield* Effect.promise(() =>
          eventually("the untrusting agent's second attempt", async () => untrusting.stderr(), (text) => /attempt 2\/10 failed/.test(text), 20_000, 200)
        );
        const named = yield* Effect.promise(() =>
          eventually("the wrong-name agent's refusal", async () => wrongName.stderr(), (text) => /attempt 1\/10 failed/.test(text), 20_000, 200)
        );
        return { second, named, stillTrying: untrusting.running() };
      })
    );
    expect(outcome.second).toContain(
      `broker connect attempt 1/10 failed (TLS: the certificate of ${tlsBase} is not signed by a CA this process trusts`
    );
    expect(outcome.second).toContain("set AMQP_CA_FILE to the CA that signed it");
    expect(outcome.second).toMatch(/attempt 2\/10 failed \(TLS: .*\); next attempt in/);
    expect(outcome.named).toContain(`TLS: the certificate of 127.0.0.1:${broker.tlsPort} is not valid for that host name`);
    expect(outcome.stillTrying).toBe(true);
  });

  it("an agent presenting a client certificate from the CA (AMQP_CERT_FILE, AMQP_KEY_FILE) comes online; one whose certificate the broker does not trust is refused in the handshake", async () => {
    const { orchestrator, replyQueue, urlA, certs, broker, adminEnv } = suite();
    const trusted = certs.issue("client-good", ["agent.test"]);
    const foreign = certs.untrusted("client-bad", ["agent.test"]);
    const good = uniqueName("ide");
    const urlGood = await addAgent(good, ["--host", "localhost"], { ...adminEnv, ...broker.ctlEnv });
    const outcome = await runLive(
      Effect.gen(function* () {
        const withCert = (cert: { cert: string; key: string }) => ({ AMQP_CA_FILE: certs.caFile, AMQP_CERT_FILE: cert.cert, AMQP_KEY_FILE: cert.key });
        yield* startAgent({ agentId: good, replyQueue, amqpUrl: urlGood, env: withCert(trusted) });
        const refused = yield* startAgent({ agentId: uniqueName("idf"), replyQueue, amqpUrl: urlA, env: withCert(foreign) });
        const online = yield* Effect.promise(() =>
          eventually(`agent ${good} online with its client certificate`, () => getAgent(orchestrator, good), (v) => v?.status === "online", AGENT_UP_MS)
        );
        const failure = yield* Effect.promise(() =>
          eventually("the untrusted client's refusal", async () => refused.stderr(), (text) => /attempt 1\/10 failed/.test(text), 20_000, 200)
        );
        return { online: online?.status, failure };
      })
    );
    expect(outcome.online).toBe("online");
    expect(outcome.failure).toContain(
      `broker connect attempt 1/10 failed (TLS: ${suite().tlsBase} refused this process's client certificate (AMQP_CERT_FILE): tlsv1 alert unknown ca); next attempt in`
    );
  });
});
