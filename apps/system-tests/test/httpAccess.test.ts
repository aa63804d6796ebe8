// The HTTP defaults seen from another machine: the real orchestrator bound to
// every interface, asked once over loopback and once over this machine's
// other address (the kernel gives such a request that address as its source,
// so the orchestrator sees a LAN client).
import os from "node:os";
import { Effect } from "effect";
import { runLive, testDatabase, uniqueName } from "@homelab/testing";
import { eventually, freePort } from "./support/childProcess.ts";
import { startOrchestrator } from "./support/orchestratorProcess.ts";

/** This machine's first non-loopback IPv4 address. */
const lanAddress = (): string | undefined =>
  Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;

const JOB = { kind: "echo", params: { message: "hi" } };

const call = async (base: string, method: "GET" | "POST", path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(method === "POST" ? { body: JSON.stringify(JOB) } : {})
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
};

describe("HTTP access from another address (orchestrator process on 0.0.0.0)", () => {
  it("has a non-loopback address to test from", () => {
    expect(lanAddress()).toBeDefined();
  });

  it("without API_TOKEN: other machines may read but not submit (401 naming API_TOKEN); this machine may submit", async () => {
    const lan = lanAddress() as string;
    const outcome = await runLive(
      Effect.gen(function* () {
        const database = yield* testDatabase("http_access");
        const port = yield* Effect.promise(freePort);
        yield* startOrchestrator({ databaseUrl: database.url, replyQueue: uniqueName("replies"), heartbeatTimeoutSeconds: 3, sweepIntervalSeconds: 1, port, env: { HTTP_HOST: "0.0.0.0" } });
        const local = `http://127.0.0.1:${port}`;
        const remote = `http://${lan}:${port}`;
        return yield* Effect.promise(async () => ({
          remoteRead: (await call(remote, "GET", "/agents")).status,
          remoteSubmit: await call(remote, "POST", "/work"),
          // No agent has the kind: 409 means it got past the access check.
          localSubmit: (await call(local, "POST", "/work")).status
        }));
      })
    );
    expect(outcome.remoteRead).toBe(200);
    expect(outcome.remoteSubmit.status).toBe(401);
    expect(outcome.remoteSubmit.body.error).toMatch(new RegExp(`^no API_TOKEN is set, so only this machine may change anything \\(request from (::ffff:)?${lan.replace(/\./g, "\\.")}\\)`));
    expect(outcome.localSubmit).toBe(409);
  });

  it("with API_TOKEN: other machines need it for reads and submits alike; with it they may submit", async () => {
    const lan = lanAddress() as string;
    const outcome = await runLive(
      Effect.gen(function* () {
        const database = yield* testDatabase("http_access_token");
        const port = yield* Effect.promise(freePort);
        yield* startOrchestrator({
          databaseUrl: database.url,
          replyQueue: uniqueName("replies"),
          heartbeatTimeoutSeconds: 3,
          sweepIntervalSeconds: 1,
          port,
          env: { HTTP_HOST: "0.0.0.0", API_TOKEN: "s3cret-token" }
        });
        const remote = `http://${lan}:${port}`;
        return yield* Effect.promise(async () => ({
          read: (await call(remote, "GET", "/work")).status,
          submit: (await call(remote, "POST", "/work")).status,
          withToken: (await call(remote, "POST", "/work", { authorization: "Bearer s3cret-token" })).status,
          health: (await fetch(`${remote}/healthz`)).status
        }));
      })
    );
    expect(outcome).toEqual({ read: 401, submit: 401, withToken: 409, health: 200 });
  });
});

describe("access log (orchestrator process at LOG_LEVEL=info)", () => {
  it("logs API requests at info with method, path, status and duration, and probes and scrapes not at all at info", async () => {
    const stderr = await runLive(
      Effect.gen(function* () {
        const database = yield* testDatabase("http_access_log");
        const orchestrator = yield* startOrchestrator({
          databaseUrl: database.url,
          replyQueue: uniqueName("replies"),
          heartbeatTimeoutSeconds: 3,
          sweepIntervalSeconds: 1,
          env: { LOG_LEVEL: "info" }
        });
        yield* Effect.promise(async () => {
          for (let i = 0; i < 5; i++) {
            await fetch(`${orchestrator.baseUrl}/healthz`);
            await fetch(`${orchestrator.baseUrl}/metrics`);
          }
          await fetch(`${orchestrator.baseUrl}/agents?status=online`);
          await fetch(`${orchestrator.baseUrl}/nowhere`);
        });
        return yield* Effect.promise(() => eventually("the access lines", async () => orchestrator.child.stderr(), (text) => /GET \/nowhere 404/.test(text), 5_000));
      })
    );
    expect(stderr).toMatch(/INFO .*GET \/agents 200 \d+ ms/);
    expect(stderr).toMatch(/INFO .*GET \/nowhere 404 \d+ ms/);
    // Only the readiness wait before these requests may have hit /readyz; /healthz and /metrics never show at info.
    expect(stderr).not.toMatch(/GET \/(healthz|metrics)|Sent HTTP response/);
  });
});
