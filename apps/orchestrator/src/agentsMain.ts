/**
 * The agent-access commands (`nx run orchestrator:add-agent -- <agent_id>`,
 * `remove-agent`), run on the server with the orchestrator's settings.
 * Exit codes: 0 done, 64 bad command line, 78 invalid configuration, 1 the
 * broker refused or could not be reached (the message says which).
 */
import { readFile } from "node:fs/promises";
import { Effect } from "effect";
import { runApp } from "@homelab/config";
import { addAgent, chooseAdmin, parseAgentAccessArgs, removeAgent } from "./agentAccess.ts";
import { loadOrchestratorConfig } from "./OrchestratorConfig.ts";

const program = Effect.gen(function* () {
  const argv = process.argv.slice(2);
  const args = yield* parseAgentAccessArgs(argv);
  const settings = yield* loadOrchestratorConfig({ argv, env: process.env, readFile: (path) => Effect.tryPromise(() => readFile(path, "utf8")) });
  const admin = chooseAdmin(settings, args.managementUrl, process.env);
  const out = { line: (text: string) => Effect.sync(() => console.log(text)) };
  yield* args.command === "add" ? addAgent(args, settings, admin, out) : removeAgent(args, settings, admin, out);
});

runApp(program);
