/**
 * The command worker thread: runs external tools for CommandRunner off the
 * main event loop. libuv's spawn blocks the calling thread until the child
 * has exec'd (≈5 ms per spawn measured on the 2-core dev machine), and the
 * heartbeat path must not stall the main loop; in a worker only the
 * worker's loop waits. A real module: bundled beside each app's main
 * (commandWorker.mjs), or run from source through tsx (CommandRunner picks).
 */
import type { ChildProcess } from "node:child_process";
import { parentPort } from "node:worker_threads";
import type { CommandReply, ToWorker } from "./commandMessages.ts";
import { errorCode, isNotFound, killGroup, spawnGroup } from "./group.ts";

const port = parentPort;
if (port === null) throw new Error("commandWorker.ts runs as a worker thread only");

const children = new Map<number, ChildProcess | null>();

const stop = (child: ChildProcess | null | undefined) => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) killGroup(child.pid);
};

const reply = (id: number, fields: Partial<CommandReply> & Pick<CommandReply, "outcome">) => {
  if (!children.has(id)) return;
  children.delete(id);
  const message: CommandReply = { id, exitCode: null, signal: null, stdout: "", stderr: "", detail: "", ...fields };
  port.postMessage(message);
};

const spawnFailure = (error: unknown) => ({
  outcome: isNotFound(error) ? ("not_found" as const) : ("spawn_error" as const),
  detail: errorCode(error) || (error instanceof Error ? error.message : String(error))
});

port.on("message", (m: ToWorker) => {
  if (m.type === "kill") {
    stop(children.get(m.id));
    children.delete(m.id);
    return;
  }
  let child: ChildProcess;
  try {
    child = spawnGroup(m.command, m.args, { env: m.env ?? undefined });
  } catch (error) {
    children.set(m.id, null);
    reply(m.id, spawnFailure(error));
    return;
  }
  children.set(m.id, child);
  if (child.pid !== undefined) port.postMessage({ id: m.id, started: child.pid });
  const out: Array<Buffer> = [];
  const err: Array<Buffer> = [];
  let size = 0;
  const collect = (into: Array<Buffer>) => (chunk: Buffer) => {
    size += chunk.length;
    if (size > m.maxOutputBytes) {
      stop(child);
      reply(m.id, { outcome: "too_large" });
      return;
    }
    into.push(chunk);
  };
  child.stdout?.on("data", collect(out));
  child.stderr?.on("data", collect(err));
  child.once("error", (error) => reply(m.id, spawnFailure(error)));
  child.once("close", (exitCode, signal) =>
    reply(m.id, {
      outcome: exitCode === 0 ? "ok" : "failed",
      exitCode,
      signal,
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8")
    })
  );
});
