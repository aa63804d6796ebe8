// `npm start`: a first look on one machine. Builds both apps (and the dashboard), then runs the
// orchestrator and one local agent (docker/agent.example.yaml: an `echo`
// kind) together, each log line prefixed with its app. Needs RabbitMQ on
// 127.0.0.1:5672 (or AMQP_URL); the registry is embedded PGlite under ./data
// unless DATABASE_URL is set. Ctrl-C stops both (the agent says goodbye).
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";

const built = spawnSync("npx", ["nx", "run-many", "-t", "build", "-p", "orchestrator", "desktop-agent", "--outputStyle=static"], {
  stdio: "inherit",
  env: { ...process.env, NX_DAEMON: "false", NX_TUI: "false" }
});
if (built.status !== 0) process.exit(built.status ?? 1);

const children = [];
// Each child is asked to stop once. Ctrl-C reaches them from the terminal as
// well, and npm passes the launcher's signal on again: a second signal that
// lands after a child's shutdown has finished, but before it has exited,
// kills it with the signal instead of letting it exit 0.
let stopping = false;
const stopAll = (except) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child !== except && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
};
const run = (name, args) => {
  const child = spawn(process.execPath, ["--enable-source-maps", ...args], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  child.on("exit", (code, signal) => {
    process.stdout.write(`[${name}] exited (${signal ?? code})\n`);
    // One gone: stop the other too.
    stopAll(child);
  });
  children.push(child);
};

run("orchestrator", ["dist/apps/orchestrator/main.mjs"]);
run("agent", ["dist/apps/desktop-agent/main.mjs", "--config", "docker/agent.example.yaml"]);
process.stdout.write(
  "[start] orchestrator on http://localhost:8080 (the dashboard: open it in a browser) and one agent with kind echo; try:\n" +
    "[start]   curl -X POST localhost:8080/work -H 'content-type: application/json' -d '{\"kind\": \"echo\", \"params\": {\"message\": \"hi\"}}'\n"
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stopAll(undefined));
