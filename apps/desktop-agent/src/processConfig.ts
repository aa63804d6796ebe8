import { readFile } from "node:fs/promises";
import os from "node:os";
import { Effect } from "effect";
import { loadAgentConfig } from "./config/AgentConfig.ts";

/** The agent's settings from this process's argv, environment, hostname and config file. */
export const loadProcessConfig = Effect.suspend(() =>
  loadAgentConfig({
    argv: process.argv.slice(2),
    env: process.env,
    hostname: os.hostname(),
    readFile: (path) => Effect.tryPromise(() => readFile(path, "utf8"))
  })
);
