import { Effect, Option, Redacted, Runtime } from "effect";
import { runLive } from "@homelab/testing";
import { loadOrchestratorConfig } from "../src/OrchestratorConfig.ts";

const files = (entries: Record<string, string>) => (path: string) =>
  path in entries ? Effect.succeed(entries[path] ?? "") : Effect.fail(new Error(`ENOENT: no such file or directory, open '${path}'`));

const load = (env: Record<string, string>, argv: ReadonlyArray<string> = [], fs: Record<string, string> = {}) =>
  runLive(loadOrchestratorConfig({ argv, env, readFile: files(fs) }));

const failure = (env: Record<string, string>, argv: ReadonlyArray<string> = [], fs: Record<string, string> = {}) =>
  runLive(Effect.flip(loadOrchestratorConfig({ argv, env, readFile: files(fs) })));

describe("orchestrator configuration", () => {
  it("uses the SPEC defaults with no file and no env", async () => {
    const s = await load({});
    expect(Redacted.value(s.amqp_url)).toBe("amqp://guest:guest@127.0.0.1:5672");
    expect(s).toMatchObject({
      reply_queue: "orchestrator.replies",
      log_level: "info",
      data_dir: "./data",
      http_host: "0.0.0.0",
      http_port: 8080,
      heartbeat_timeout_seconds: 90,
      offline_sweep_interval_seconds: 30
    });
    expect(Option.isNone(s.database_url)).toBe(true);
    expect(Option.isNone(s.api_token)).toBe(true);
  });

  it("reads a YAML file and lets env win over it", async () => {
    const s = await load(
      { HTTP_PORT: "9090", ORCHESTRATOR_CONFIG: "/etc/o.yaml" },
      [],
      { "/etc/o.yaml": "http_port: 8081\nheartbeat_timeout_seconds: 3\ndatabase_url: postgres://postgres@db/fleet\n" }
    );
    expect(s.http_port).toBe(9090);
    expect(s.heartbeat_timeout_seconds).toBe(3);
    expect(Option.map(s.database_url, Redacted.value)).toEqual(Option.some("postgres://postgres@db/fleet"));
  });

  it("takes --config over ORCHESTRATOR_CONFIG", async () => {
    const s = await load({ ORCHESTRATOR_CONFIG: "/a.yaml" }, ["--config", "/b.yaml"], { "/a.yaml": "http_port: 1\n", "/b.yaml": "http_port: 2\n" });
    expect(s.http_port).toBe(2);
  });

  it.each([
    [{ HTTP_PORT: "eighty" }, 'invalid configuration: HTTP_PORT (env): expected an integer from 0 to 65535, got "eighty"'],
    [{ HEARTBEAT_TIMEOUT_SECONDS: "-5" }, 'invalid configuration: HEARTBEAT_TIMEOUT_SECONDS (env): expected a number from 0.1 to 86400, got "-5"'],
    [{ LOG_LEVEL: "loud" }, 'invalid configuration: LOG_LEVEL (env): expected one of trace, debug, info, warn, error, got "loud"'],
    [
      { DATABASE_URL: "mysql://root:hunter2@db/x" },
      'invalid configuration: DATABASE_URL (env): expected a postgres: or postgresql: URL, got "mysql://root:***@db/x"'
    ]
  ])("stops on %j with one line naming the field", async (env, message) => {
    const e = await failure(env);
    expect(e.message).toBe(message);
    expect(e[Runtime.errorExitCode]).toBe(78);
  });

  it("names an unknown key in the file (with the key it was probably meant to be) and a file it cannot read", async () => {
    expect((await failure({ ORCHESTRATOR_CONFIG: "/o.yaml" }, [], { "/o.yaml": "http_prot: 1\n" })).message).toBe(
      "invalid configuration: /o.yaml: http_prot: unknown key; did you mean http_port?"
    );
    expect((await failure({}, ["--config=/missing.yaml"])).message).toBe(
      "invalid configuration: cannot read /missing.yaml: ENOENT: no such file or directory, open '/missing.yaml'"
    );
  });

  it("takes everything after the first = of --config=PATH as the path", async () => {
    const s = await load({}, ["--config=/etc/a=b.yaml"], { "/etc/a=b.yaml": "http_port: 7\n" });
    expect(s.http_port).toBe(7);
  });

  it("never echoes the API token or a URL's password, whatever their characters", async () => {
    const token = await failure({ ORCHESTRATOR_CONFIG: "/o.yaml" }, [], { "/o.yaml": "api_token: 42\n" });
    expect(token.message).toBe("invalid configuration: /o.yaml: api_token: expected a non-empty token, got (hidden)");
    const url = await failure({ DATABASE_URL: "mysql://root:p@ss/w:rd@db/x" });
    expect(url.message).toBe('invalid configuration: DATABASE_URL (env): expected a postgres: or postgresql: URL, got "mysql://root:***@db/x"');
    expect(url.message).not.toContain("ss/w");
  });
});
