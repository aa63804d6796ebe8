import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Effect, Redacted, Runtime } from "effect";
import { runLive } from "@homelab/testing";
import { type AgentConfigInput, loadAgentConfig } from "../src/config/AgentConfig.ts";

// The file text of SPEC §4's example, as an operator would write it.
const SPEC_EXAMPLE = `max_concurrent_work: 2
tasks:
  echo:
    command: ["echo", "{message}"]
    timeout_seconds: 30
  transcode:
    command: ["ffmpeg", "-y", "-i", "{input}", "-c:v", "hevc_nvenc", "{output}"]
    timeout_seconds: 3600
    requires: { min_vram_gb: 2 }
`;

/** A readFile over an in-memory map of path -> text; other paths fail as Node would. */
const filesIn =
  (files: Readonly<Record<string, string>>): AgentConfigInput["readFile"] =>
  (file) =>
    Object.hasOwn(files, file)
      ? Effect.succeed(files[file] ?? "")
      : Effect.fail(new Error(`ENOENT: no such file or directory, open '${file}'`));

/** The real file system, read as main.ts reads it (tryPromise wraps Node's error). */
const realFiles: AgentConfigInput["readFile"] = (file) => Effect.tryPromise(() => readFile(file, "utf8"));

interface Scenario {
  readonly argv?: ReadonlyArray<string>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly hostname?: string;
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * The PATH the configs below are loaded with: a folder of executable stubs
 * named like the programs they use (a task's program must be found on PATH
 * when the config loads), so the tests do not depend on what this machine
 * has installed.
 */
const STUB_PATH = mkdtempSync(path.join(tmpdir(), "agent-config-path-"));
for (const program of ["echo", "ffmpeg", "blender", "x", "sleep"]) {
  writeFileSync(path.join(STUB_PATH, program), "#!/bin/sh\n");
  chmodSync(path.join(STUB_PATH, program), 0o755);
}
afterAll(() => rmSync(STUB_PATH, { recursive: true, force: true }));

const inputOf = (scenario: Scenario): AgentConfigInput => ({
  argv: scenario.argv ?? [],
  env: { PATH: STUB_PATH, ...scenario.env },
  hostname: scenario.hostname ?? "desk-1",
  readFile: filesIn(scenario.files ?? {})
});

const load = (scenario: Scenario) => runLive(loadAgentConfig(inputOf(scenario)));
const failure = (scenario: Scenario) => runLive(Effect.flip(loadAgentConfig(inputOf(scenario))));

describe("loadAgentConfig: where settings come from", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "agent-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("with no file and no env, every setting is its default and agent_id is the hostname", async () => {
    const settings = await load({ hostname: "desk-1" });
    expect({ ...settings, amqp_url: Redacted.value(settings.amqp_url), amqp: [settings.amqp.address, settings.amqp.tls] }).toEqual({
      agent_id: "desk-1",
      agent_type: "desktop",
      pool_name: "desktop_pool_1",
      amqp_url: "amqp://guest:guest@127.0.0.1:5672",
      amqp: ["127.0.0.1:5672", undefined],
      reply_queue: "orchestrator.replies",
      log_level: "info",
      heartbeat_interval_seconds: 30,
      gpu_backend: "auto",
      max_concurrent_work: 1,
      shutdown_grace_seconds: 8,
      max_output_bytes: 65536,
      tasks: {}
    });
  });

  it("reads SPEC §4's example file from disk: max_concurrent_work and both task kinds with their defaults filled in", async () => {
    const file = path.join(dir, "agent.yaml");
    await writeFile(file, SPEC_EXAMPLE);
    const settings = await runLive(
      loadAgentConfig({ argv: ["--config", file], env: { PATH: STUB_PATH }, hostname: "desk-1", readFile: realFiles })
    );
    expect(settings.max_concurrent_work).toBe(2);
    expect(settings.tasks).toEqual({
      echo: { command: ["echo", "{message}"], timeout_seconds: 30, requires: {} },
      transcode: {
        command: ["ffmpeg", "-y", "-i", "{input}", "-c:v", "hevc_nvenc", "{output}"],
        timeout_seconds: 3600,
        requires: { min_vram_gb: 2 }
      }
    });
    expect(settings.heartbeat_interval_seconds).toBe(30);
    expect(settings.agent_id).toBe("desk-1");
  });

  it("keeps a task's cwd, env and every kind of requirement", async () => {
    const settings = await load({
      argv: ["--config=/agent.yaml"],
      files: {
        "/agent.yaml": `tasks:
  render:
    command: [blender, -b, "{scene}"]
    cwd: /srv/render
    env: { CUDA_VISIBLE_DEVICES: "0" }
    requires: { min_vram_gb: 8, min_cores: 4, min_memory_gb: 16.5, gpu_type: nvidia }
`
      }
    });
    expect(settings.tasks["render"]).toEqual({
      command: ["blender", "-b", "{scene}"],
      timeout_seconds: 3600,
      cwd: "/srv/render",
      env: { CUDA_VISIBLE_DEVICES: "0" },
      requires: { min_vram_gb: 8, min_cores: 4, min_memory_gb: 16.5, gpu_type: "nvidia" }
    });
  });

  it("accepts command templates with partial slots and literal braces, kept as written", async () => {
    const settings = await load(
      withFile('tasks:\n  transcode:\n    command: [ffmpeg, -i, "{input}", "--out={output}", "{{literal}}"]\n')
    );
    expect(settings.tasks["transcode"]?.command).toEqual(["ffmpeg", "-i", "{input}", "--out={output}", "{{literal}}"]);
  });

  it("the file overrides defaults, and pool_name follows the file's agent_type", async () => {
    const settings = await load({
      argv: ["--config", "/agent.yaml"],
      files: {
        "/agent.yaml": `agent_id: render-box
agent_type: server
amqp_url: amqps://agent:s3cret@broker.lan:5671
reply_queue: replies.test
log_level: debug
heartbeat_interval_seconds: 0.5
gpu_backend: amd
shutdown_grace_seconds: 0
max_output_bytes: 4096
`
      }
    });
    expect({ ...settings, amqp_url: Redacted.value(settings.amqp_url), amqp: [settings.amqp.address, settings.amqp.tls] }).toEqual({
      agent_id: "render-box",
      agent_type: "server",
      pool_name: "server_pool_1",
      amqp_url: "amqps://agent:s3cret@broker.lan:5671",
      amqp: ["broker.lan:5671", {}],
      reply_queue: "replies.test",
      log_level: "debug",
      heartbeat_interval_seconds: 0.5,
      gpu_backend: "amd",
      max_concurrent_work: 1,
      shutdown_grace_seconds: 0,
      max_output_bytes: 4096,
      tasks: {}
    });
  });

  it("env overrides the file, and the file still supplies what env leaves unset", async () => {
    const settings = await load({
      argv: ["--config", "/agent.yaml"],
      env: {
        AGENT_ID: "from-env",
        AMQP_URL: "amqp://u:p@env-broker:5672",
        HEARTBEAT_INTERVAL_SECONDS: "0.5",
        MAX_CONCURRENT_WORK: "4",
        SHUTDOWN_GRACE_SECONDS: "2.5",
        MAX_OUTPUT_BYTES: "1024",
        LOG_LEVEL: "warn",
        GPU_BACKEND: "none",
        REPLY_QUEUE: "env.replies",
        POOL_NAME: "env_pool"
      },
      files: {
        "/agent.yaml": `agent_id: from-file
agent_type: server
amqp_url: amqp://file-broker:5672
heartbeat_interval_seconds: 10
max_concurrent_work: 2
log_level: debug
pool_name: file_pool
${SPEC_EXAMPLE.split("\n").slice(1).join("\n")}`
      }
    });
    expect({ ...settings, amqp_url: Redacted.value(settings.amqp_url), amqp: [settings.amqp.address, settings.amqp.tls], tasks: Object.keys(settings.tasks) }).toEqual({
      agent_id: "from-env",
      agent_type: "server",
      pool_name: "env_pool",
      amqp_url: "amqp://u:p@env-broker:5672",
      amqp: ["env-broker:5672", undefined],
      reply_queue: "env.replies",
      log_level: "warn",
      heartbeat_interval_seconds: 0.5,
      gpu_backend: "none",
      max_concurrent_work: 4,
      shutdown_grace_seconds: 2.5,
      max_output_bytes: 1024,
      tasks: ["echo", "transcode"]
    });
  });

  it("--config beats AGENT_CONFIG, in both its spellings", async () => {
    const files = { "/cli.yaml": "agent_type: cli\n", "/env.yaml": "agent_type: env\n" };
    const spaced = await load({ argv: ["--config", "/cli.yaml"], env: { AGENT_CONFIG: "/env.yaml" }, files });
    const joined = await load({ argv: ["--config=/cli.yaml"], env: { AGENT_CONFIG: "/env.yaml" }, files });
    expect([spaced.agent_type, joined.agent_type]).toEqual(["cli", "cli"]);
  });

  it("AGENT_CONFIG names the file when there is no --config", async () => {
    const settings = await load({ env: { AGENT_CONFIG: "/env.yaml" }, files: { "/env.yaml": "agent_type: env\n" } });
    expect(settings.pool_name).toBe("env_pool_1");
  });

  it("empty env values count as unset, so the file and the defaults apply", async () => {
    const settings = await load({
      env: { AGENT_CONFIG: "", AGENT_ID: "", HEARTBEAT_INTERVAL_SECONDS: "", LOG_LEVEL: "", AMQP_URL: "" },
      hostname: "desk-2"
    });
    expect([settings.agent_id, settings.heartbeat_interval_seconds, settings.log_level]).toEqual(["desk-2", 30, "info"]);
    expect(Redacted.value(settings.amqp_url)).toBe("amqp://guest:guest@127.0.0.1:5672");
  });

  it("AGENT_TYPE from env also sets the default pool, and env choices ignore case", async () => {
    const settings = await load({ env: { AGENT_TYPE: "gpu", LOG_LEVEL: "DEBUG", GPU_BACKEND: " Nvidia " } });
    expect([settings.pool_name, settings.log_level, settings.gpu_backend]).toEqual(["gpu_pool_1", "debug", "nvidia"]);
  });

  it("an empty file is an empty mapping: env and defaults only", async () => {
    const settings = await load({ argv: ["--config", "/empty.yaml"], files: { "/empty.yaml": "# nothing yet\n" } });
    expect([settings.agent_type, settings.tasks]).toEqual(["desktop", {}]);
  });
});

const FILE = "/etc/homelab/agent.yaml";
const withFile = (text: string, scenario: Scenario = {}): Scenario => ({
  ...scenario,
  argv: ["--config", FILE],
  files: { [FILE]: text }
});

describe("loadAgentConfig: invalid configuration is one line naming the source and the field", () => {
  it.each<[string, Scenario, string]>([
    [
      "a non-numeric env number",
      { env: { HEARTBEAT_INTERVAL_SECONDS: "abc" } },
      'HEARTBEAT_INTERVAL_SECONDS (env): expected a number greater than 0 and at most 3600, got "abc"'
    ],
    [
      "an env number with a unit",
      { env: { HEARTBEAT_INTERVAL_SECONDS: "30s" } },
      'HEARTBEAT_INTERVAL_SECONDS (env): expected a number greater than 0 and at most 3600, got "30s"'
    ],
    [
      "a fractional MAX_CONCURRENT_WORK",
      { env: { MAX_CONCURRENT_WORK: "1.5" } },
      'MAX_CONCURRENT_WORK (env): expected a whole number from 1 to 64, got "1.5"'
    ],
    [
      "a number out of range in the file",
      withFile("heartbeat_interval_seconds: 0\n"),
      `${FILE}: heartbeat_interval_seconds: expected a number greater than 0 and at most 3600, got 0`
    ],
    [
      "a quoted number in the file",
      withFile('shutdown_grace_seconds: "8"\n'),
      `${FILE}: shutdown_grace_seconds: expected a number >= 0, got "8"`
    ],
    [
      "a GPU_BACKEND that is not a choice",
      { env: { GPU_BACKEND: "cuda" } },
      'GPU_BACKEND (env): expected one of auto, nvidia, amd, intel, none, got "cuda"'
    ],
    [
      "a log_level in the file that is not a choice",
      withFile("log_level: verbose\n"),
      `${FILE}: log_level: expected one of trace, debug, info, warn, error, got "verbose"`
    ],
    [
      "an unknown key close to a known one",
      withFile("heartbeat_interval: 30\n"),
      `${FILE}: heartbeat_interval: unknown key; did you mean heartbeat_interval_seconds?`
    ],
    [
      "an env var name written as a file key",
      withFile("MAX_CONCURRENT_WORK: 2\n"),
      `${FILE}: MAX_CONCURRENT_WORK: unknown key; did you mean max_concurrent_work?`
    ],
    [
      "an unknown key like no known one",
      withFile("colour: blue\n"),
      `${FILE}: colour: unknown key; expected one of agent_id, agent_type, pool_name, amqp_url, amqp_ca_file, amqp_cert_file, amqp_key_file, reply_queue, log_level, heartbeat_interval_seconds, gpu_backend, max_concurrent_work, shutdown_grace_seconds, max_output_bytes, orchestrator_user, tasks`
    ],
    [
      "an unknown key in a task",
      withFile("tasks:\n  echo:\n    command: [echo]\n    timeout: 30\n"),
      `${FILE}: tasks.echo.timeout: unknown key; did you mean timeout_seconds?`
    ],
    [
      "an invalid AGENT_ID",
      { env: { AGENT_ID: "my laptop" } },
      'AGENT_ID (env): expected an agent_id (1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit), got "my laptop"'
    ],
    [
      "a hostname that is no agent_id",
      { hostname: "Jane's MacBook Pro" },
      `agent_id: defaults to the hostname "Jane's MacBook Pro", which is not an agent_id (1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit); set AGENT_ID (or agent_id in the config file)`
    ],
    [
      "an agent_type too long for its default pool name",
      { env: { AGENT_TYPE: "t".repeat(60) } },
      `pool_name: defaults to <agent_type>_pool_1 = "${"t".repeat(60)}_pool_1", which is not a pool name (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit); set POOL_NAME (or pool_name in the config file)`
    ],
    [
      "an AMQP_URL that is not amqp:, with its password hidden",
      { env: { AMQP_URL: "http://agent:hunter2@broker:5672" } },
      'AMQP_URL (env): expected an amqp:// or amqps:// URL with a host, got "http://agent:***@broker:5672"'
    ],
    [
      "an amqp_url in the file that does not parse, with its password hidden",
      withFile("amqp_url: amqp//agent:hunter2@broker\n"),
      `${FILE}: amqp_url: expected an amqp:// or amqps:// URL with a host, got "amqp//agent:***@broker"`
    ],
    [
      "a YAML syntax error",
      withFile("agent_type: desktop\ntasks:\n  echo: [echo\n  other: x\n"),
      `${FILE}: line 4, column 3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`
    ],
    [
      "a key written twice",
      withFile("log_level: info\nlog_level: debug\n"),
      `${FILE}: line 2, column 1: invalid YAML: Map keys must be unique`
    ],
    ["a missing file", { argv: ["--config", "/nope.yaml"] }, "cannot read /nope.yaml: ENOENT: no such file or directory, open '/nope.yaml'"],
    ["--config without a path", { argv: ["--config"] }, "--config: expected a file path after it"],
    ["a file that is a list", withFile("- echo\n"), `${FILE}: expected a mapping of settings at the top level, got a list`],
    [
      "a task with an empty command",
      withFile("tasks:\n  transcode:\n    command: []\n"),
      `${FILE}: tasks.transcode.command: expected a non-empty list of strings, got []`
    ],
    [
      "a task without a command",
      withFile("tasks:\n  transcode:\n    timeout_seconds: 60\n"),
      `${FILE}: tasks.transcode.command: missing; expected a non-empty list of strings`
    ],
    [
      "a task whose command holds a number",
      withFile("tasks:\n  sleep:\n    command: [sleep, 5]\n"),
      `${FILE}: tasks.sleep.command: expected a non-empty list of strings, got ["sleep",5]`
    ],
    [
      "a task kind name with a space",
      withFile('tasks:\n  "my task":\n    command: [echo]\n'),
      `${FILE}: tasks["my task"]: invalid name; expected a task kind name (1-64 of A-Z a-z 0-9 . _ : -, starting with a letter or digit)`
    ],
    [
      "a requirement that is not a GPU type",
      withFile("tasks:\n  t:\n    command: [x]\n    requires: { gpu_type: cuda }\n"),
      `${FILE}: tasks.t.requires.gpu_type: expected one of nvidia, amd, intel, none, got "cuda"`
    ],
    [
      "a MAX_OUTPUT_BYTES over the cap that keeps a result within the 1 MiB message limit",
      { env: { MAX_OUTPUT_BYTES: "1048576" } },
      'MAX_OUTPUT_BYTES (env): expected a whole number of bytes from 0 to 262144, got "1048576"'
    ],
    [
      "a fractional max_output_bytes in the file",
      withFile("max_output_bytes: 1.5\n"),
      `${FILE}: max_output_bytes: expected a whole number of bytes from 0 to 262144, got 1.5`
    ],
    [
      "a command template with an unclosed brace",
      withFile('tasks:\n  echo:\n    command: [echo, "{message"]\n'),
      `${FILE}: tasks.echo.command[1]: "{message" has a { that is never closed; write {{ for a literal {`
    ],
    [
      "a command template with a stray closing brace",
      withFile('tasks:\n  echo:\n    command: [echo, "a}b"]\n'),
      `${FILE}: tasks.echo.command[1]: "a}b" has a } that closes no slot; write }} for a literal }`
    ],
    [
      "a command template with an invalid slot name",
      withFile('tasks:\n  transcode:\n    command: [ffmpeg, -i, "{input file}"]\n'),
      `${FILE}: tasks.transcode.command[2]: "{input file}" has an invalid slot {input file}: a slot name is a letter or _ followed by letters, digits or _ (write {{ and }} for literal braces)`
    ],
    [
      "a command whose program is a slot",
      withFile('tasks:\n  any:\n    command: ["{program}", "{args}"]\n'),
      `${FILE}: tasks.any.command[0]: "{program}" is the program to run, which cannot hold a slot; params may fill only its arguments`
    ],
    [
      "an unquoted number as a task's env value",
      withFile("tasks:\n  t:\n    command: [x]\n    env: { PORT: 8080 }\n"),
      `${FILE}: tasks.t.env.PORT: expected a string, got 8080`
    ]
  ])("%s", async (_behaviour, scenario, expected) => {
    const error = await failure(scenario);
    expect(error.message).toBe(`invalid configuration: ${expected}`);
  });

  it("never prints the AMQP password, wherever the URL fails", async () => {
    const errors = await Promise.all([
      failure({ env: { AMQP_URL: "amqp://agent:hunter2@" } }),
      failure({ env: { AMQP_URL: "ftp://agent:hunter2@host/x" } }),
      failure(withFile("amqp_url: https://agent:hun@ter2@host\n")),
      failure(withFile("amqp_url: amqp://agent:hunter2@host\n  oops: : x\n"))
    ]);
    expect(errors.map((e) => /hunter2|hun@ter2|ter2/.test(e.message))).toEqual([false, false, false, false]);
  });

  it("a missing file on disk is reported with Node's reason, as main.ts reads files", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "agent-config-"));
    const file = path.join(dir, "absent.yaml");
    try {
      const error = await runLive(
        Effect.flip(loadAgentConfig({ argv: [], env: { AGENT_CONFIG: file }, hostname: "desk-1", readFile: realFiles }))
      );
      expect(error.message).toBe(
        `invalid configuration: cannot read ${file}: ENOENT: no such file or directory, open '${file}'`
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the error exits the process with 78 and is printed as one line", async () => {
    // yaml's own message for this spans several lines and quotes the source.
    const error = await failure(withFile("amqp_url: amqp://agent:hunter2@host\n  oops: : x\n"));
    expect(error._tag).toBe("InvalidConfig");
    expect(error[Runtime.errorExitCode]).toBe(78);
    expect(error.message).toBe(
      `invalid configuration: ${FILE}: line 1, column 11: invalid YAML: Nested mappings are not allowed in compact mappings`
    );
  });
});

describe("loadAgentConfig: a task's program is an absolute path or a name found on PATH", () => {
  const FILE = "/etc/homelab/agent.yaml";
  const withTasks = (tasks: string) => ({ argv: ["--config", FILE], files: { [FILE]: `tasks:\n${tasks}` } });

  it("refuses a relative path with a slash, naming the kind", async () => {
    const error = await failure(withTasks("  build:\n    command: [./make.sh, all]\n"));
    expect(error.message).toBe(
      `invalid configuration: ${FILE}: tasks.build.command[0]: "./make.sh" is a relative path; give an absolute path or a program name found on PATH`
    );
    expect(error[Runtime.errorExitCode]).toBe(78);
  });

  it("refuses a bare name that is not on PATH, and takes an absolute path as it is", async () => {
    const missing = await failure(withTasks("  render:\n    command: [no-such-renderer, \"{scene}\"]\n"));
    expect(missing.message).toBe(
      `invalid configuration: ${FILE}: tasks.render.command[0]: "no-such-renderer" is not found on PATH (${STUB_PATH}); install it or give its absolute path`
    );
    const absolute = await load(withTasks("  render:\n    command: [/opt/render/bin/render, \"{scene}\"]\n"));
    expect(absolute.tasks["render"]?.command[0]).toBe("/opt/render/bin/render");
  });
});
