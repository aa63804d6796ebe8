import { execFile } from "node:child_process";
import { Data, Effect } from "effect";
import { Connection } from "rabbitmq-client";
import { controlQueueTopology, replyQueueTopology, workQueueTopology } from "@homelab/protocol";
import { type AmqpEndpoint, connectionOptions, describeConnectError } from "./endpoint.ts";

// Broker users for agents (SPEC §3 AGENT_IDENTITY=broker_user): one user per
// agent, named like its agent_id, with least privilege. RabbitMQ checks the
// AMQP user_id property against the connection's user, so what such a user
// publishes can only ever say it came from that agent.

/** A broker administration call failed; the message says which and why. */
export class BrokerAdminFailed extends Data.TaggedError("BrokerAdminFailed")<{ readonly message: string }> {}

/** RabbitMQ permission patterns (regular expressions over resource names). */
export interface Permissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * What an agent's broker user may do: read (consume) and configure
 * (declare, purge, delete) only its own `agent.<id>.work` and
 * `agent.<id>.control` queues, and publish
 * through the default exchange (its replies; a work request it might put on
 * another agent's queue carries its own user_id, which an agent with
 * ORCHESTRATOR_USER refuses). It may not create or delete the reply queues:
 * configure permission on a queue includes deleting it, so the orchestrator
 * (or add-agent) declares them and agents only check they exist.
 */
export const agentPermissions = (agentId: string): Permissions => {
  const queues = `^(${escapeRegex(workQueueTopology(agentId).queue)}|${escapeRegex(controlQueueTopology(agentId).queue)})$`;
  return { configure: queues, write: "^amq\\.default$", read: queues };
};

/** One way to manage broker users: `rabbitmqctl` on the broker host, or the management plugin's HTTP API. */
export interface BrokerUserAdmin {
  /** What is used, for messages ("rabbitmqctl (/usr/sbin/rabbitmqctl)", "the management API at http://…"). */
  readonly via: string;
  readonly exists: (user: string) => Effect.Effect<boolean, BrokerAdminFailed>;
  /** Creates the user (no tags) with these permissions on `vhost`. */
  readonly create: (user: string, password: string, vhost: string, permissions: Permissions) => Effect.Effect<void, BrokerAdminFailed>;
  /** Deletes the user (RabbitMQ closes its connections); false when there was none. */
  readonly remove: (user: string) => Effect.Effect<boolean, BrokerAdminFailed>;
}

const run = (program: string, args: ReadonlyArray<string>, stdin?: string) =>
  Effect.callback<string, BrokerAdminFailed>((resume) => {
    const child = execFile(program, [...args], { timeout: 60_000, env: process.env }, (error, stdout, stderr) => {
      if (error === null) return resume(Effect.succeed(stdout));
      const said = `${stderr}`.trim().split("\n").filter((line) => line.trim() !== "").slice(0, 3).join(" / ");
      resume(Effect.fail(new BrokerAdminFailed({ message: `${program} ${args[0] ?? ""} failed: ${said || error.message}` })));
    });
    child.stdin?.end(stdin ?? "");
  });

/**
 * rabbitmqctl (`program`: a path or a name on PATH). It talks to the local
 * node as the broker's own CLI does (Erlang cookie, RABBITMQ_NODENAME), so it
 * runs on the broker host, usually as root. Passwords go on stdin, never on
 * the command line.
 */
export const rabbitmqctlAdmin = (program: string): BrokerUserAdmin => ({
  via: `rabbitmqctl (${program})`,
  exists: (user) =>
    run(program, ["list_users", "--formatter", "json", "--quiet"]).pipe(
      Effect.flatMap((out) =>
        Effect.try({
          try: () => (JSON.parse(out) as ReadonlyArray<{ readonly user: string }>).some((u) => u.user === user),
          catch: () => new BrokerAdminFailed({ message: `${program} list_users: unexpected output ${JSON.stringify(out.slice(0, 200))}` })
        })
      )
    ),
  create: (user, password, vhost, p) =>
    run(program, ["add_user", user], password).pipe(
      Effect.andThen(run(program, ["set_permissions", "-p", vhost, user, p.configure, p.write, p.read]))
    ),
  remove: (user) =>
    run(program, ["delete_user", user]).pipe(
      Effect.as(true),
      Effect.catchIf(
        (e) => /no_such_user|does not exist|not found/i.test(e.message),
        () => Effect.succeed(false)
      )
    )
});

/**
 * The management plugin's HTTP API (`baseUrl` like http://broker.lan:15672),
 * authenticated as an administrator (the orchestrator's broker user).
 */
export const managementApiAdmin = (baseUrl: string, credentials: { readonly user: string; readonly password: string }): BrokerUserAdmin => {
  const root = baseUrl.replace(/\/+$/, "");
  const authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;
  const call = (method: string, path: string, body?: unknown) =>
    Effect.tryPromise({
      try: async () => {
        const response = await fetch(`${root}${path}`, {
          method,
          headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000)
        });
        return { status: response.status, text: await response.text() };
      },
      catch: (e) => new BrokerAdminFailed({ message: `management API ${method} ${root}${path}: ${e instanceof Error ? e.message : String(e)}` })
    });
  const expect = (method: string, path: string, ok: ReadonlyArray<number>, body?: unknown) =>
    call(method, path, body).pipe(
      Effect.flatMap((r) =>
        ok.includes(r.status)
          ? Effect.succeed(r.status)
          : Effect.fail(new BrokerAdminFailed({ message: `management API ${method} ${root}${path}: HTTP ${r.status} ${r.text.slice(0, 200)}` }))
      )
    );
  const userPath = (user: string) => `/api/users/${encodeURIComponent(user)}`;
  return {
    via: `the management API at ${root}`,
    exists: (user) => expect("GET", userPath(user), [200, 404]).pipe(Effect.map((status) => status === 200)),
    create: (user, password, vhost, p) =>
      expect("PUT", userPath(user), [201, 204], { password, tags: "" }).pipe(
        Effect.andThen(expect("PUT", `/api/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, [201, 204], p))
      ),
    remove: (user) => expect("DELETE", userPath(user), [204, 404]).pipe(Effect.map((status) => status === 204))
  };
};

/** Runs `use` on a short-lived connection to `endpoint` (an administrator's), closed afterwards. */
const withConnection = <A>(endpoint: AmqpEndpoint, use: (c: Connection) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        const c = new Connection({ ...connectionOptions(endpoint), connectionTimeout: 10_000, retryLow: 500, retryHigh: 2000 });
        c.on("error", () => undefined);
        try {
          await c.onConnect(10_000);
        } catch (e) {
          await c.close().catch(() => undefined);
          throw e;
        }
        return c;
      },
      catch: (e) => new BrokerAdminFailed({ message: `cannot connect to ${endpoint.address}: ${describeConnectError(e, endpoint.address)}` })
    }),
    (c) => Effect.tryPromise({ try: () => use(c), catch: (e) => new BrokerAdminFailed({ message: e instanceof Error ? e.message : String(e) }) }),
    (c) => Effect.promise(() => c.close().catch(() => undefined))
  );

/**
 * Declares the queues an agent with least privilege uses but may not create
 * (the reply queue and its dead-letter queue) and its own work queue, as the
 * administrator `endpoint` connects; returns their names.
 */
export const declareAgentQueues = (endpoint: AmqpEndpoint, replyQueue: string, agentId: string) => {
  const replies = replyQueueTopology(replyQueue);
  const queues = [replies.deadLetterQueue, replies, workQueueTopology(agentId), controlQueueTopology(agentId)];
  return withConnection(endpoint, async (c) => {
    for (const q of queues) await c.queueDeclare({ queue: q.queue, durable: q.durable, arguments: { ...q.arguments } });
    return queues.map((q) => q.queue);
  });
};

/** Deletes an agent's work queue (and its control queue): how many requests it still held, or undefined when there was no such queue. */
export const deleteAgentQueue = (endpoint: AmqpEndpoint, agentId: string) =>
  withConnection(endpoint, async (c) => {
    await c.queueDelete({ queue: controlQueueTopology(agentId).queue });
    const queue = workQueueTopology(agentId).queue;
    const there = await c.queueDeclare({ queue, passive: true }).then(
      () => true,
      (e: unknown) => (typeof e === "object" && e !== null && "code" in e && e.code === "NOT_FOUND" ? false : Promise.reject(e))
    );
    return there ? (await c.queueDelete({ queue })).messageCount : undefined;
  });
