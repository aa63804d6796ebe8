// The deployment kit in docker/, proven as far as a machine with no Docker
// engine and no image pulls can: the compose file validates with Debian's
// docker-compose, the Dockerfiles pass a linter (with a broken one as the
// control that the linter runs), Prometheus' config passes promtool, the
// dashboard only asks for series the orchestrator exposes, and the images run
// the same bundles the system tests run. Needs the Debian packages
// docker-compose and prometheus (.ci/run installs them).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const docker = (file: string) => path.join(root, "docker", file);

const run = (program: string, args: ReadonlyArray<string>) => {
  const result = spawnSync(program, [...args], { cwd: root, encoding: "utf8" });
  if (result.error !== undefined) throw new Error(`${program} is not installed (${result.error.message}); .ci/run installs it with apt-get`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
};

const lint = (file: string) => run(path.join(root, "node_modules/.bin/dockerfile-utils"), ["lint", file]);

describe("docker/: the deployment kit", () => {
  it("compose.yaml validates (docker-compose config), with the monitoring profile too", () => {
    expect(run("docker-compose", ["-f", docker("compose.yaml"), "config", "-q"])).toEqual({ status: 0, output: "" });
    expect(run("docker-compose", ["-f", docker("compose.yaml"), "--profile", "monitoring", "config", "-q"])).toEqual({ status: 0, output: "" });
  });

  it("compose.yaml restarts every service, waits for healthy RabbitMQ and PostgreSQL, and keeps data in named volumes", () => {
    const config = run("docker-compose", ["-f", docker("compose.yaml"), "--profile", "monitoring", "config"]).output;
    for (const service of ["rabbitmq", "postgres", "orchestrator", "prometheus", "grafana"]) {
      expect(config).toMatch(new RegExp(`\\n  ${service}:\\n(    .*\\n)*?    restart: unless-stopped`));
    }
    expect(config).toMatch(/orchestrator:\n(?:    .*\n|      .*\n)*?    depends_on:\n      postgres:\n        condition: service_healthy\n      rabbitmq:\n        condition: service_healthy/);
    expect(config).toMatch(/\nvolumes:\n  grafana-data: \{\}\n  orchestrator-data: \{\}\n  postgres-data: \{\}\n  prometheus-data: \{\}\n  rabbitmq-data: \{\}/);
  });

  it("both Dockerfiles pass dockerfile-utils lint, which does refuse a broken one", () => {
    expect(lint(docker("orchestrator.Dockerfile"))).toEqual({ status: 0, output: "" });
    expect(lint(docker("desktop-agent.Dockerfile"))).toEqual({ status: 0, output: "" });
    const dir = mkdtempSync(path.join(os.tmpdir(), "dockerfile-"));
    try {
      writeFileSync(path.join(dir, "Dockerfile"), "FROMM node:20\nEXPOSE abc\n");
      expect(lint(path.join(dir, "Dockerfile")).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the images run the bundles the system tests run, as a non-root user, and the orchestrator's has a HEALTHCHECK", () => {
    const orchestrator = readFileSync(docker("orchestrator.Dockerfile"), "utf8");
    const agent = readFileSync(docker("desktop-agent.Dockerfile"), "utf8");
    expect(orchestrator).toMatch(/COPY --from=build \/src\/dist\/apps\/orchestrator\/ \/app\//);
    expect(orchestrator).toMatch(/CMD \["node", "--enable-source-maps", "\/app\/main\.mjs"\]/);
    expect(orchestrator).toMatch(/^HEALTHCHECK /m);
    expect(agent).toMatch(/COPY --from=build \/src\/dist\/apps\/desktop-agent\/ \/app\//);
    expect(agent).toMatch(/CMD \["node", "--enable-source-maps", "\/app\/main\.mjs", "--config", "\/etc\/homelab\/agent\.yaml"\]/);
    for (const file of [orchestrator, agent]) expect(file).toMatch(/^USER node$/m);
    // The system tests start exactly these files (apps/system-tests/test/support).
    const systemTests = readFileSync(path.join(root, "apps/system-tests/test/support/orchestratorProcess.ts"), "utf8");
    expect(systemTests).toContain('"dist/apps/orchestrator/main.mjs"');
    expect(readFileSync(path.join(root, "apps/system-tests/test/support/agentProcess.ts"), "utf8")).toContain('"dist/apps/desktop-agent/main.mjs"');
  });

  it("Prometheus' scrape config passes promtool check config", () => {
    expect(run("promtool", ["check", "config", docker("prometheus/prometheus.yml")]).status).toBe(0);
  });

  it("the Grafana dashboard asks only for series the orchestrator exposes, from the provisioned data source", () => {
    const dashboard = JSON.parse(readFileSync(docker("grafana/dashboards/homelab-fleet.json"), "utf8")) as {
      panels: ReadonlyArray<{ title: string; datasource: { uid: string }; targets: ReadonlyArray<{ expr: string }> }>;
    };
    const source = readFileSync(docker("grafana/provisioning/datasources/prometheus.yml"), "utf8");
    const uid = /uid: (\S+)/.exec(source)?.[1];
    // The series the orchestrator writes (apps/orchestrator/src: FleetMetrics.ts and OrchestratorMetrics.ts).
    const exposed = new Set(
      ["apps/orchestrator/src/FleetMetrics.ts", "apps/orchestrator/src/OrchestratorMetrics.ts"].flatMap((file) => {
        const text = readFileSync(path.join(root, file), "utf8");
        return [
          ...[...text.matchAll(/family\("([a-z0-9_]+)"/g)].map((m) => `homelab_${m[1]}`),
          ...[...text.matchAll(/name: "([a-z0-9_]+)"/g)].map((m) => m[1] as string)
        ];
      })
    );
    const asked = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b([a-z_][a-z0-9_]*)(?=\s*(?:\{|\[|\)|$| -| ==| or))/g)].map((m) => m[1] as string)));
    const metricNames = asked.filter((name) => name.startsWith("homelab_") || name.endsWith("_total"));
    expect(metricNames.length).toBeGreaterThan(10);
    expect(metricNames.filter((name) => !exposed.has(name))).toEqual([]);
    expect(dashboard.panels.every((p) => p.datasource.uid === uid)).toBe(true);
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining(["Fleet up / down", "Free VRAM per GPU (after bookings)", "CPU cores available per machine", "Memory available per machine", "Jobs waiting", "Offline transitions (1 h)", "Heartbeats applied /s"])
    );
  });
});
