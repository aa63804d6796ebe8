// Report pieces of the ingest benchmark: CPU tables, CPU per heartbeat, the rate steps.
import { type CpuReport } from "../procstat.ts";
import { fmt, passFail } from "../support.ts";
import { TARGET_P99_S, TARGET_RATE } from "./settings.ts";
import { showBound } from "./histogram.ts";
import { type StepResult, SUSTAINED_SHARE } from "./loadStep.ts";
import { STEP_UP, type StepSeries } from "./stepping.ts";

export const TARGET_ORCHESTRATOR_MICROS = 35;
export const TARGET_POSTGRES_MICROS = 30;
export const TARGET_SUSTAINED_RATIO = 0.85;

/** % of one core used by everything outside the measured groups (kernel, other processes on the machine). */
const otherShare = (report: CpuReport): number =>
  ((report.machineCpuSeconds - report.groups.reduce((sum, g) => sum + g.cpuSeconds, 0)) / report.seconds) * 100;

export const cpuTable = (title: string, report: CpuReport): Array<string> => [
  `${title} (${report.seconds.toFixed(1)} s; machine: ${report.cores} cores, ${fmt(report.machineBusy * 100)} % busy overall = ` +
    `${(report.machineBusy * report.cores).toFixed(2)} cores; machine CPU s: user ${report.machineSplit.user.toFixed(1)}, ` +
    `system ${report.machineSplit.system.toFixed(1)}, irq+softirq ${report.machineSplit.irq.toFixed(1)}, steal ${report.machineSplit.steal.toFixed(1)}):`,
  "",
  "| process | CPU s | % of one core |",
  "|---|---|---|",
  ...report.groups.map(
    (g) => `| ${g.label}${g.processes > 1 ? ` (${g.processes} processes)` : ""} | ${g.cpuSeconds.toFixed(1)} | ${fmt((g.cpuSeconds / report.seconds) * 100)} |`
  ),
  `| everything else (kernel, other processes on the machine) | ${((otherShare(report) * report.seconds) / 100).toFixed(1)} | ${fmt(otherShare(report))} |`,
  ""
];

/** % of one core a group used over the window; groups whose label starts with `prefix` added up. */
const share = (report: CpuReport, prefix: string): number =>
  (report.groups.filter((g) => g.label.startsWith(prefix)).reduce((sum, g) => sum + g.cpuSeconds, 0) / report.seconds) * 100;

/** The lines on CPU per heartbeat in c. and its two targets. */
export const cpuPerHeartbeat = (c: StepResult): { lines: Array<string>; targets: Array<[string, string]> } => {
  const at5000 = c.rate === TARGET_RATE;
  const pgAll = c.cpu.groups.filter((g) => g.label.startsWith("postgres")).reduce((sum, g) => sum + g.cpuSeconds, 0);
  const verdict = (micros: number, goal: number) =>
    at5000 ? `${passFail(micros <= goal)} (${fmt(micros, 1)} µs)` : `not tested by this run (it asked for ${fmt(c.rate)}/s); measured ${fmt(micros, 1)} µs`;
  return {
    lines: [
      `- CPU per heartbeat over c.'s load window (CPU s from /proc ÷ the ${fmt(c.processedInWindow)} heartbeats processed in it, at ${fmt(c.rate)}/s asked):`,
      `  - orchestrator: **${fmt(c.orchestratorMicros, 1)} µs** per heartbeat (goal ≤ ${TARGET_ORCHESTRATOR_MICROS} µs at ${fmt(TARGET_RATE)}/s)`,
      `  - PostgreSQL, the backends of the bench's database: **${fmt(c.postgresMicros, 1)} µs** per heartbeat (goal ≤ ${TARGET_POSTGRES_MICROS} µs); ` +
        `all postgres processes (with the WAL writer, checkpointer and other databases on this server): ${fmt((pgAll * 1e6) / c.processedInWindow, 1)} µs`
    ],
    targets: [
      [`orchestrator ≤ ${TARGET_ORCHESTRATOR_MICROS} µs CPU per heartbeat at ${fmt(TARGET_RATE)}/s`, verdict(c.orchestratorMicros, TARGET_ORCHESTRATOR_MICROS)],
      [`PostgreSQL ≤ ${TARGET_POSTGRES_MICROS} µs CPU per heartbeat at ${fmt(TARGET_RATE)}/s`, verdict(c.postgresMicros, TARGET_POSTGRES_MICROS)]
    ]
  };
};

const stepRow = (count: number, s: StepResult, failures: ReadonlyArray<string>): string => {
  const orchestrators = s.cpu.groups.filter((g) => g.label.startsWith("orchestrator")).map((g) => fmt((g.cpuSeconds / s.cpu.seconds) * 100));
  return `| ${count} | ${fmt(s.rate)} | ${fmt(s.sustainedRate)} | ${fmt((s.processedInWindow / (s.rate * s.seconds)) * 100)} % | ${showBound(s.commitP99)} | ` +
    `${fmt(s.depthAtLoadEnd ?? Number.NaN)} | ${s.drained ? `${fmt(s.lost.differ + s.lost.missing)}` : "not drained"} | ` +
    `${orchestrators.join(" + ")} | ${fmt(share(s.cpu, "postgres: backends"))} | ${fmt(share(s.cpu, "rabbitmq"))} | ${fmt(share(s.cpu, "generator"))} | ` +
    `${fmt(otherShare(s.cpu))} | ${fmt(s.cpu.machineBusy * 100)} % | ${fmt(s.orchestratorMicros, 1)} / ${fmt(s.postgresMicros, 1)} | ` +
    `${failures.length === 0 ? "sustained" : `FAIL: ${failures.join("; ")}`} |`;
};

/** d. the rate steps: a table of every step, the highest sustained rate against a., two orchestrators against one. */
export const steppingReport = (
  brokerAloneRate: number,
  series: ReadonlyArray<StepSeries>
): { lines: Array<string>; targets: Array<[string, string]> } => {
  const lines: Array<string> = [];
  const out = (line = "") => lines.push(line);
  const first = series[0];
  const seconds = first?.steps[0]?.step.seconds ?? Number.NaN;
  out("### d. highest sustained rate");
  out();
  out(`Each step: the generator at a fixed rate for ${seconds} s (BENCH_STEP_SECONDS) on a database and reply queue fresh for the series, ` +
    `the same orchestrator(s) and simulated agents throughout, after a 5 s warm-up at half the first rate (not rated); the rate goes up ×${STEP_UP} while steps are sustained, then once halfway to the ` +
    `failed one (down ×${STEP_UP} if the first fails). Sustained = processed (applied + ignored, /metrics) ≥ ${SUSTAINED_SHARE * 100} % of ` +
    `rate × seconds in the load window, at most one second's worth of the rate left in the queue when the load ends, p99 receive→commit ` +
    `≤ ${TARGET_P99_S * 1000} ms (bucket bound; buckets diffed over the step including its drain) and nothing lost (drained; last_seq per agent).`);
  out();
  out("| orchestrators | asked /s | processed /s | of asked | p99 receive→commit | queue at load end | lost | orchestrator % of a core | PG backends % | RabbitMQ % | generator % | everything else % | machine busy | µs/heartbeat orch / PG | verdict |");
  out("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const s of series) for (const r of s.steps) out(stepRow(s.orchestrators, r.step, r.failures));
  out();
  const best = (s: StepSeries | undefined) => s?.highest?.rate ?? Number.NaN;
  for (const s of series) {
    out(`- highest sustained rate with ${s.orchestrators} orchestrator${s.orchestrators > 1 ? "s" : ""}: ` +
      (s.highest === undefined ? "none of the steps was sustained" : `**${fmt(s.highest.rate)}/s** = ${(s.highest.rate / brokerAloneRate).toFixed(2)} of a. broker alone (${fmt(brokerAloneRate)} msg/s)`));
  }
  const second = series[1];
  if (second !== undefined) {
    out(`- two orchestrators ÷ one (highest sustained rates): **${(best(second) / best(first)).toFixed(2)}** (${fmt(best(second))} ÷ ${fmt(best(first))}/s)`);
  }
  out();
  for (const s of series) {
    const top = s.highest;
    const above = s.steps.filter((r) => r.failures.length > 0 && (top === undefined || r.step.rate > top.rate)).sort((x, y) => x.step.rate - y.step.rate)[0];
    const name = `${s.orchestrators} orchestrator${s.orchestrators > 1 ? "s" : ""}`;
    if (top !== undefined) lines.push(...cpuTable(`CPU at ${name}'s highest sustained step, ${fmt(top.rate)}/s`, top.cpu));
    if (above !== undefined) lines.push(...cpuTable(`CPU at ${name}'s first failing step above it, ${fmt(above.step.rate)}/s`, above.step.cpu));
  }
  const ratio = best(first) / brokerAloneRate;
  return {
    lines,
    targets: [
      [
        `highest sustained rate ≥ ${TARGET_SUSTAINED_RATIO} of broker alone`,
        `${passFail(ratio >= TARGET_SUSTAINED_RATIO)} (${fmt(best(first))}/s ÷ ${fmt(brokerAloneRate)} msg/s = ${ratio.toFixed(2)}, one orchestrator)`
      ]
    ]
  };
};
