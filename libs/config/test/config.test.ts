import { Effect, Schema } from "effect";
import { runLive } from "@homelab/testing";
import { configPathOf, loadSettings, redactUrl, type SettingsSpec } from "../src/index.ts";

// The loader both apps use, with a small spec of its own; the apps' own test
// files (desktop-agent and orchestrator config tests) cover their fields.

const Settings = Schema.Struct({
  port: Schema.Finite.check(Schema.isInt()).pipe(Schema.withDecodingDefaultKey(Effect.succeed(80))),
  url: Schema.optionalKey(Schema.String),
  token: Schema.optionalKey(Schema.String.check(Schema.isMinLength(8)))
});
const spec: SettingsSpec<typeof Settings> = {
  schema: Settings,
  doc: {
    expected: "a mapping of settings",
    fields: { port: { expected: "an integer" }, url: { expected: "a URL" }, token: { expected: "a token of 8 or more characters" } }
  },
  env: { port: "number", token: "string" },
  configEnv: "APP_CONFIG",
  redaction: { urls: ["url"], secrets: ["token"] }
};
const files = (entries: Record<string, string>) => (path: string) =>
  path in entries ? Effect.succeed(entries[path] ?? "") : Effect.fail(new Error(`ENOENT: ${path}`));
const load = (env: Record<string, string>, argv: ReadonlyArray<string>, fs: Record<string, string>) =>
  runLive(loadSettings(spec, { argv, env, readFile: files(fs) }).pipe(Effect.result));

describe("@homelab/config", () => {
  it("finds the file from --config PATH, --config=PATH (all after the first =), the last one winning, else the env var", async () => {
    const path = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) =>
      runLive(configPathOf(argv, env, "APP_CONFIG"));
    expect(await path(["--config", "/a.yaml"])).toBe("/a.yaml");
    expect(await path(["--config=/etc/a=b.yaml"])).toBe("/etc/a=b.yaml");
    expect(await path(["--config=/a.yaml", "--config", "/b.yaml"])).toBe("/b.yaml");
    expect(await path(["--", "--config=/a.yaml"], { APP_CONFIG: "/env.yaml" })).toBe("/env.yaml");
    expect(await path([])).toBeUndefined();
  });

  it("lets env win over the file and the file over the defaults", async () => {
    const fromFile = await load({}, ["--config=/c.yaml"], { "/c.yaml": "port: 81\n" });
    const fromEnv = await load({ PORT: "82" }, ["--config=/c.yaml"], { "/c.yaml": "port: 81\n" });
    const defaults = await load({}, [], {});
    expect([fromFile, fromEnv, defaults].map((r) => (r._tag === "Success" ? r.success.port : r.failure.message))).toEqual([81, 82, 80]);
  });

  it("refuses an unknown key with the key it was probably meant to be", async () => {
    const r = await load({}, ["--config=/c.yaml"], { "/c.yaml": "prt: 1\n" });
    expect(r._tag === "Failure" && r.failure.message).toBe("invalid configuration: /c.yaml: prt: unknown key; did you mean port?");
  });

  it("never quotes a secret, and quotes a URL without its password", async () => {
    const secret = await load({ TOKEN: "short" }, [], {});
    expect(secret._tag === "Failure" && secret.failure.message).toBe("invalid configuration: TOKEN (env): expected a token of 8 or more characters, got (hidden)");
    expect(redactUrl("amqp://user:p@ss:w/rd@host:5672/vh")).toBe("amqp://user:***@host:5672/vh");
    expect(redactUrl("not a url but:secret@host")).toBe("not a url but:***@host");
    expect(redactUrl("amqp://host")).toBe("amqp://host");
  });
});
