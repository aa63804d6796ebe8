/**
 * The agent-access commands (`nx run orchestrator:add-agent -- <agent_id>`,
 * `remove-agent`), run on the server with the orchestrator's settings.
 * Exit codes: 0 done, 64 bad command line, 78 invalid configuration, 1 the
 * broker refused or could not be reached (the message says which).
 */
import { readFile, unlink, writeFile } from "node:fs/promises";
import { Effect } from "effect";
import { runApp } from "@homelab/config";
import { addAgent, chooseAdmin, parseAgentAccessArgs, removeAgent, UsageError } from "./agentAccess.ts";
import { loadOrchestratorConfig } from "./OrchestratorConfig.ts";

const program = Effect.gen(function* () {
  const argv = process.argv.slice(2);
  const args = yield* parseAgentAccessArgs(argv);
  const settings = yield* loadOrchestratorConfig({ argv, env: process.env, readFile: (path) => Effect.tryPromise(() => readFile(path, "utf8")) });
  const admin = chooseAdmin(settings, args.managementUrl, process.env);
  const settingLines: Array<string> = [];
  const out = {
    setting: (name: string, value: string) =>
      Effect.sync(() => (args.envFile === undefined ? console.log(`${name}=${value}`) : void settingLines.push(`${name}=${value}`))),
    note: (text: string) => Effect.sync(() => console.error(text))
  };
  const envFile = args.envFile;
  if (envFile !== undefined) {
    // Made before the user, so a path that cannot be written costs nothing; never overwritten.
    yield* Effect.tryPromise({
      try: () => writeFile(envFile, "", { flag: "wx", mode: 0o600 }),
      catch: (e) => new UsageError({ message: `--save ${envFile}: ${e instanceof Error ? e.message : String(e)} (it must be a new file)` })
    });
  }
  yield* (args.command === "add" ? addAgent(args, settings, admin, out) : removeAgent(args, settings, admin, out)).pipe(
    Effect.onError(() => (envFile === undefined ? Effect.void : Effect.promise(() => unlink(envFile).catch(() => undefined))))
  );
  if (envFile !== undefined) {
    yield* Effect.promise(() => writeFile(envFile, `${settingLines.join("\n")}\n`, { mode: 0o600 }));
    yield* Effect.sync(() => console.error(`wrote ${settingLines.map((line) => line.split("=")[0]).join(", ")} to ${envFile}`));
  }
});

runApp(program);
