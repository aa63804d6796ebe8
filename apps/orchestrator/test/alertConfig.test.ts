import { Effect, Redacted } from "effect";
import { runLive } from "@homelab/testing";
import { KNOWN_SCHEMES } from "../src/alerts/channels.ts";
import { splitAlertUrls } from "../src/alerts/alertConfig.ts";
import { loadOrchestratorConfig } from "../src/OrchestratorConfig.ts";

const FILE = "/etc/orchestrator.yaml";

const input = (yaml: string | undefined, env: Record<string, string> = {}) => ({
  argv: [],
  env: yaml === undefined ? env : { ORCHESTRATOR_CONFIG: FILE, ...env },
  readFile: (path: string) => (path === FILE && yaml !== undefined ? Effect.succeed(yaml) : Effect.fail(new Error(`ENOENT: ${path}`)))
});

const load = (yaml: string | undefined, env: Record<string, string> = {}) => runLive(loadOrchestratorConfig(input(yaml, env))).then((s) => s.alerts);

const problem = (yaml: string | undefined, env: Record<string, string> = {}) =>
  runLive(Effect.flip(loadOrchestratorConfig(input(yaml, env)))).then((e) => e.message);

const EXAMPLE = `
alerts:
  channels:
    phone: ntfy://ntfy.sh/homelab-alerts
    team: discord://hunter22@123456
  notify_stopped: true
  flapping: { transitions: 5, window_minutes: 15 }
  quiet:
    - agents: [gaming-pc]
      from: "01:00"
      to: "08:00"
      timezone: Europe/Berlin
    - agents: [nas, htpc]
      from: "22:30"
      to: "06:15"
  rules:
    - kinds: [unreachable]
      agents: [nas]
      channels: [phone]
    - channels: [team, phone]
`;

describe("alert settings", () => {
  it("are off by default: no channels, no rules, no quiet windows, notify_stopped false, flapping 3 in 10 minutes", async () => {
    expect(await load(undefined)).toEqual({
      channels: [],
      rules: [],
      notifyStopped: false,
      flapTransitions: 3,
      flapWindowSeconds: 600,
      quiet: [],
      gpuErrorSeconds: 300,
      workFailedKinds: [],
      queueWaitSeconds: null,
      outageSeconds: 60
    });
    expect(await load("http_port: 1\nalerts:\n")).toMatchObject({ channels: [], flapTransitions: 3 });
  });

  it("read channels, notify_stopped, flapping, quiet windows and rules from the config file", async () => {
    const alerts = await load(EXAMPLE);
    expect(alerts.channels.map(({ name, scheme, display }) => ({ name, scheme, display }))).toEqual([
      { name: "phone", scheme: "ntfy", display: "ntfy://ntfy.sh/homelab-alerts" },
      { name: "team", scheme: "discord", display: "discord://***@***" }
    ]);
    expect(alerts.channels.map((c) => Redacted.value(c.url))).toEqual(["ntfy://ntfy.sh/homelab-alerts", "discord://hunter22@123456"]);
    expect(alerts).toMatchObject({ notifyStopped: true, flapTransitions: 5, flapWindowSeconds: 900 });
    expect(alerts.quiet).toEqual([
      { agents: ["gaming-pc"], fromMinute: 60, toMinute: 480, timeZone: "Europe/Berlin" },
      { agents: ["nas", "htpc"], fromMinute: 1350, toMinute: 375, timeZone: undefined }
    ]);
    expect(alerts.rules).toEqual([
      { kinds: ["unreachable"], agents: ["nas"], channels: ["phone"] },
      { kinds: undefined, agents: undefined, channels: ["team", "phone"] }
    ]);
  });

  it("add ALERT_URLS to the file's channels, named by scheme and never clashing with a name in the file", async () => {
    const alerts = await load("alerts:\n  channels:\n    ntfy: ntfy://ntfy.sh/mine\n  rules:\n    - channels: [smtp, ntfy-2]\n", {
      ALERT_URLS: "ntfy://ntfy.sh/a, discord://tok@42 ,ntfy://ntfy.sh/b,smtp://mail.lan:25/?from=fleet@lan&to=me@lan,you@lan"
    });
    expect(alerts.channels.map((c) => [c.name, c.scheme])).toEqual([
      ["ntfy", "ntfy"],
      ["ntfy-2", "ntfy"],
      ["discord", "discord"],
      ["ntfy-3", "ntfy"],
      ["smtp", "smtp"]
    ]);
    expect(alerts.channels.at(-1)?.display).toBe("smtp://mail.lan:25/?from=fleet@lan&to=me@lan,you@lan");
    expect(alerts.rules[0]?.channels).toEqual(["smtp", "ntfy-2"]);
  });

  it("take ALERT_URLS alone, without a config file", async () => {
    const alerts = await load(undefined, { ALERT_URLS: "gotify://push.lan/Atoken" });
    expect(alerts.channels.map((c) => [c.name, c.display])).toEqual([["gotify", "gotify://push.lan/***"]]);
  });

  it("split ALERT_URLS only at a comma before a scheme, so a mail URL's recipient list stays whole", () => {
    expect(splitAlertUrls(" ntfy://h/a ,, smtp://m/?from=a@b&to=c@d,e@f,slack://hook:T/B/X,")).toEqual([
      "ntfy://h/a",
      "smtp://m/?from=a@b&to=c@d,e@f",
      "slack://hook:T/B/X"
    ]);
  });

  it.each([
    [
      "alerts:\n  channels:\n    phone: ftp://u:hunter22@host/x\n",
      {},
      `${FILE}: alerts.channels.phone: unknown scheme "ftp"; expected one of ${KNOWN_SCHEMES}`
    ],
    ["alerts:\n  channels:\n    phone: ntfy://hunter22@ntfy.sh\n", {}, `${FILE}: alerts.channels.phone: ntfy needs a topic: ntfy://[token@]host/topic`],
    [undefined, { ALERT_URLS: "ntfy://ntfy.sh/ok,discord://hunter22@not-digits" }, "ALERT_URLS (env, 2nd URL): the Discord webhook id must be digits"],
    [undefined, { ALERT_URLS: "hunter22" }, `ALERT_URLS (env, 1st URL): not a channel URL; expected scheme://…, the scheme one of ${KNOWN_SCHEMES}`],
    ["alerts:\n  channels:\n    - ntfy://hunter22@ntfy.sh/x\n", {}, `${FILE}: alerts.channels: expected a mapping of channel names to channel URLs, got (hidden)`],
    ["alerts:\n  channels:\n    phone: 42\n", {}, `${FILE}: alerts.channels.phone: expected a channel URL as text, got a number`],
    [
      'alerts:\n  channels:\n    "my phone": ntfy://ntfy.sh/x\n',
      {},
      `${FILE}: alerts.channels["my phone"]: a channel name is 1-64 letters, digits, _, . or -, starting with a letter or digit`
    ],
    [
      "alerts: ntfy://hunter22@ntfy.sh/x\n",
      {},
      `${FILE}: alerts: expected a mapping of alert settings (channels, notify_stopped, flapping, quiet, gpu_error_minutes, work_failed, queue_wait_minutes, outage_minutes, rules), got text`
    ],
    ["alerts:\n  flaping: {}\n", {}, `${FILE}: alerts.flaping: unknown key; did you mean flapping?`],
    ["alerts:\n  flapping: { transitions: 0 }\n", {}, `${FILE}: alerts.flapping.transitions: expected a whole number from 1 to 100, got 0`],
    ["alerts:\n  notify_stopped: sometimes\n", {}, `${FILE}: alerts.notify_stopped: expected true or false, got "sometimes"`],
    [
      'alerts:\n  quiet:\n    - { agents: [nas], from: "25:00", to: "08:00" }\n',
      {},
      `${FILE}: alerts.quiet[0].from: expected a time of day as HH:MM (e.g. "01:00"), got "25:00"`
    ],
    ['alerts:\n  quiet:\n    - { agents: [nas], from: "01:00" }\n', {}, `${FILE}: alerts.quiet[0].to: missing; expected a time of day as HH:MM (e.g. "01:00")`],
    [
      'alerts:\n  quiet:\n    - { agents: [nas], from: "01:00", to: "02:00", timezone: Europe/Berln }\n',
      {},
      `${FILE}: alerts.quiet[0].timezone: unknown time zone "Europe/Berln"; expected an IANA name such as Europe/Berlin`
    ],
    ['alerts:\n  quiet:\n    - { agents: [nas], from: "01:00", to: "1:00" }\n', {}, `${FILE}: alerts.quiet[0]: from and to are the same time, so the window is empty`],
    [
      "alerts:\n  channels:\n    phone: ntfy://ntfy.sh/x\n  rules:\n    - channels: [pager]\n",
      {},
      `${FILE}: alerts.rules[0].channels: no channel named "pager"; the channels are phone`
    ],
    ["alerts:\n  rules:\n    - channels: [pager]\n", {}, `${FILE}: alerts.rules[0].channels: no channel named "pager"; no channels are configured`],
    [
      "alerts:\n  rules:\n    - { kinds: [unreachable, bogus], channels: [x] }\n",
      {},
      `${FILE}: alerts.rules[0].kinds: expected a non-empty list of unreachable, stopped, flapping, gpu_missing, gpu_collection, work_failed, work_waiting, orchestrator_broker, orchestrator_database, got ["unreachable","bogus"]`
    ]
  ])("stop on %j %j with one line naming the source and the field", async (yaml, env, message) => {
    const text = await problem(yaml, env);
    expect(text).toBe(`invalid configuration: ${message}`);
    expect(text).not.toContain("hunter22");
  });
});

describe("alerts config: jobs, the queue, GPUs and outages", () => {
  it("reads work_failed, queue_wait_minutes, gpu_error_minutes and outage_minutes, with their defaults when absent", async () => {
    const set = await load(`
alerts:
  work_failed: [render, train]
  queue_wait_minutes: 30
  gpu_error_minutes: 2
  outage_minutes: 0.5
`);
    expect([set.workFailedKinds, set.queueWaitSeconds, set.gpuErrorSeconds, set.outageSeconds]).toEqual([["render", "train"], 1800, 120, 30]);
    const all = await load("alerts:\n  work_failed: all\n");
    expect(all.workFailedKinds).toBe("all");
    const defaults = await load(undefined);
    expect([defaults.workFailedKinds, defaults.queueWaitSeconds, defaults.gpuErrorSeconds, defaults.outageSeconds]).toEqual([[], null, 300, 60]);
  });

  it("refuses a queue wait that is not a number of minutes, naming the field", async () => {
    expect(await problem("alerts:\n  queue_wait_minutes: soon\n")).toMatch(/alerts\.queue_wait_minutes: .*minutes/);
  });
});
