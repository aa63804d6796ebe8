// add-agent / remove-agent against the real RabbitMQ with this machine's
// rabbitmqctl: the user it makes may use its own work queue and publish,
// and nothing more; removing it closes its connections and its queue.
import { Effect, Redacted } from "effect";
import { Connection } from "rabbitmq-client";
import { Broker, BrokerAdminFailed, endpointOf, rabbitmqctlAdmin } from "@homelab/broker";
import { replyQueueTopology } from "@homelab/protocol";
import { runLive, serviceUrls, testQueues, uniqueName } from "@homelab/testing";
import { addAgent, agentAmqpUrl, parseAgentAccessArgs, removeAgent } from "../src/agentAccess.ts";

const codeOf = (p: Promise<unknown>) => p.then(() => "OK", (e: { code?: string }) => e.code ?? String(e));

describe("add-agent / remove-agent command line", () => {
  const parse = (argv: ReadonlyArray<string>) => runLive(Effect.result(parseAgentAccessArgs(argv)));

  it("takes one agent_id and the --host / --management-url / --config options", async () => {
    const parsed = await parse(["add", "desk-1", "--host", "server.lan", "--management-url=http://server.lan:15672", "--config", "/etc/o.yaml"]);
    expect(parsed._tag === "Success" && parsed.success).toEqual({
      command: "add",
      agentId: "desk-1",
      host: "server.lan",
      managementUrl: "http://server.lan:15672"
    });
  });

  it.each([
    [["add"], "missing <agent_id>"],
    [["add", "a", "b"], "one agent_id, not 2"],
    [["add", "../etc"], '"../etc" is not an agent_id'],
    [["add", "desk-1", "--force"], "unknown option --force"],
    [["add", "desk-1", "--host"], "--host needs a value"],
    [["remove", "desk-1", "--host", "x"], "--host is only for add"],
    [["rename", "desk-1"], 'unknown command "rename"']
  ])("%j is refused with the usage (exit 64)", async (argv, problem) => {
    const parsed = await parse(argv);
    expect(parsed._tag === "Failure" && parsed.failure.message.startsWith(problem)).toBe(true);
    expect(parsed._tag === "Failure" && parsed.failure.message).toContain("usage: add-agent <agent_id>");
  });

  it("the agent's URL keeps the orchestrator's scheme, port and vhost, with the agent's user; a loopback host becomes one agents can reach", () => {
    expect(agentAmqpUrl("amqps://admin:x@broker.lan:5671/fleet", "desk-1", "pw", undefined)).toBe("amqps://desk-1:pw@broker.lan:5671/fleet");
    expect(agentAmqpUrl("amqp://admin:x@127.0.0.1:5672", "desk-1", "pw", "server.lan")).toBe("amqp://desk-1:pw@server.lan:5672");
    expect(agentAmqpUrl("amqp://admin:x@localhost:5672", "desk-1", "pw", undefined)).not.toContain("localhost");
  });
});

describe("add-agent on the real broker (rabbitmqctl)", () => {
  it("makes a user that may consume only its own work queue, may not create or delete the reply queues, and is gone with its connections after remove-agent", async () => {
    const outcome = await runLive(
      Effect.gen(function* () {
        const queues = yield* testQueues();
        const replyQueue = queues.name("access-replies");
        const [a, b] = [uniqueName("acc-a"), uniqueName("acc-b")];
        queues.adopt(`agent.${a}.work`);
        queues.adopt(`agent.${b}.work`);
        const url = serviceUrls().amqpUrl;
        const settings = { amqp_url: Redacted.make(url), amqp: endpointOf(url), reply_queue: replyQueue, agent_identity: "broker_user" as const };
        const admin = rabbitmqctlAdmin("rabbitmqctl");
        const printed: Array<string> = [];
        const out = {
          setting: (name: string, value: string) => Effect.sync(() => void printed.push(`${name}=${value}`)),
          note: () => Effect.void
        };
        yield* Effect.addFinalizer(() =>
          Effect.all([admin.remove(a), admin.remove(b)]).pipe(Effect.ignore)
        );
        yield* addAgent({ command: "add", agentId: a, host: "127.0.0.1", managementUrl: undefined }, settings, admin, out);
        yield* addAgent({ command: "add", agentId: b, host: "127.0.0.1", managementUrl: undefined }, settings, admin, out);
        const again = yield* Effect.flip(addAgent({ command: "add", agentId: a, host: undefined, managementUrl: undefined }, settings, admin, out));
        const agentUrl = printed.find((line) => line.startsWith(`AMQP_URL=amqp://${a}:`))?.slice("AMQP_URL=".length) ?? "";

        const asA = new Connection({ url: agentUrl, noDelay: true, retryLow: 200, retryHigh: 200 });
        const errors: Array<string> = [];
        asA.on("error", (e: { code?: string }) => void errors.push(e.code ?? ""));
        const attempt = (f: (ch: Awaited<ReturnType<Connection["acquire"]>>) => Promise<unknown>) =>
          Effect.promise(async () => {
            const ch = await asA.acquire();
            const code = await codeOf(f(ch));
            await ch.close().catch(() => undefined);
            return code;
          });
        const reply = replyQueueTopology(replyQueue);
        const rights = {
          consumeOwn: yield* attempt((ch) => ch.basicConsume({ queue: `agent.${a}.work` }, () => undefined)),
          consumeOther: yield* attempt((ch) => ch.basicConsume({ queue: `agent.${b}.work` }, () => undefined)),
          getOther: yield* attempt((ch) => ch.basicGet({ queue: `agent.${b}.work` })),
          declareReplies: yield* attempt((ch) => ch.queueDeclare({ queue: replyQueue, durable: true, arguments: { ...reply.arguments } })),
          deleteReplies: yield* attempt((ch) => ch.queueDelete({ queue: replyQueue })),
          deleteOther: yield* attempt((ch) => ch.queueDelete({ queue: `agent.${b}.work` })),
          publishReply: yield* attempt(async (ch) => {
            await ch.confirmSelect();
            return ch.basicPublish({ routingKey: replyQueue, userId: a }, Buffer.from("{}"));
          })
        };
        // The agent's own connection declares what it uses; the reply queues it may only find.
        const agentDeclare = yield* Effect.gen(function* () {
          const broker = yield* Broker;
          const conn = yield* broker.connect;
          yield* conn.declare(reply.deadLetterQueue);
          yield* conn.declare(reply);
          return "OK";
        }).pipe(Effect.scoped, Effect.provide(Broker.layer(endpointOf(agentUrl))), Effect.catch((e) => Effect.succeed(e.message)));

        yield* removeAgent({ command: "remove", agentId: a, host: undefined, managementUrl: undefined }, settings, admin, out);
        const stillThere = yield* admin.exists(a);
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300)));
        const closedWithUser = errors.includes("CONNECTION_FORCED");
        yield* Effect.promise(() => asA.close());
        return { again, rights, agentDeclare, stillThere, closedWithUser, printed };
      })
    );
    expect(outcome.rights).toEqual({
      consumeOwn: "OK",
      consumeOther: "ACCESS_REFUSED",
      getOther: "ACCESS_REFUSED",
      declareReplies: "ACCESS_REFUSED",
      deleteReplies: "ACCESS_REFUSED",
      deleteOther: "ACCESS_REFUSED",
      publishReply: "OK"
    });
    expect(outcome.agentDeclare).toBe("OK");
    expect(outcome.again).toBeInstanceOf(BrokerAdminFailed);
    expect(outcome.again.message).toMatch(/already exists .*run remove-agent/);
    expect(outcome.printed).toContain("ORCHESTRATOR_USER=guest");
    expect(outcome.stillThere).toBe(false);
    expect(outcome.closedWithUser).toBe(true);
  });
});
