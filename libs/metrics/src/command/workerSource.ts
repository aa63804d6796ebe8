/**
 * The body of the command worker thread, as CommonJS source for
 * `new Worker(source, { eval: true })`. It lives in a string so that it runs
 * the same under Node, tsx and Jest without a build step or a file path.
 *
 * Why a worker at all: libuv's spawn blocks the calling thread until the
 * child has exec'd (≈5 ms per spawn measured on the 2-core dev machine), and
 * the heartbeat path must not stall the main event loop. In a worker only
 * the worker's loop waits.
 *
 * Messages in:  { type: "run", id, command, args, env, maxOutputBytes } | { type: "kill", id }
 * Messages out: { id, started: pid } once the child runs, so the main thread
 *               can kill its group itself (even after this worker is gone);
 *               then { id, outcome: "ok" | "not_found" | "failed" | "too_large" | "spawn_error",
 *                 exitCode, signal, stdout, stderr, detail }
 */
export const COMMAND_WORKER_SOURCE = String.raw`
"use strict";
const { parentPort } = require("node:worker_threads");
const { spawn } = require("node:child_process");

const children = new Map();

const killGroup = (child) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, "SIGKILL"); } catch { try { child.kill("SIGKILL"); } catch {} }
};

const reply = (id, fields) => {
  if (!children.has(id)) return;
  children.delete(id);
  parentPort.postMessage({ id, exitCode: null, signal: null, stdout: "", stderr: "", detail: "", ...fields });
};

parentPort.on("message", (m) => {
  if (m.type === "kill") {
    const entry = children.get(m.id);
    if (entry) { killGroup(entry.child); children.delete(m.id); }
    return;
  }
  let child;
  try {
    child = spawn(m.command, m.args, {
      shell: false,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: m.env === null ? process.env : m.env
    });
  } catch (e) {
    children.set(m.id, { child: null });
    const code = e && e.code;
    reply(m.id, { outcome: code === "ENOENT" || code === "EACCES" ? "not_found" : "spawn_error", detail: String(code || (e && e.message) || e) });
    return;
  }
  children.set(m.id, { child });
  if (child.pid !== undefined) parentPort.postMessage({ id: m.id, started: child.pid });
  const out = [], err = [];
  let size = 0;
  const collect = (into) => (chunk) => {
    size += chunk.length;
    if (size > m.maxOutputBytes) { killGroup(child); reply(m.id, { outcome: "too_large" }); return; }
    into.push(chunk);
  };
  child.stdout.on("data", collect(out));
  child.stderr.on("data", collect(err));
  child.once("error", (e) => {
    const code = e && e.code;
    reply(m.id, { outcome: code === "ENOENT" || code === "EACCES" ? "not_found" : "spawn_error", detail: String(code || e.message) });
  });
  child.once("close", (exitCode, signal) => {
    reply(m.id, {
      outcome: exitCode === 0 ? "ok" : "failed",
      exitCode, signal,
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8")
    });
  });
});
`;
