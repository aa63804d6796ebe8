import { Effect, type Scope } from "effect";
import { workQueueName } from "@homelab/protocol";
import { testDatabase, testQueues, uniqueName, type TestQueues } from "@homelab/testing";
import { requireAgentBundle } from "./agentProcess.ts";
import { startOrchestrator, type OrchestratorOptions, type RunningOrchestrator } from "./orchestratorProcess.ts";
import { registryDb, type RegistryDb } from "./registryDb.ts";

export interface OrchestratedSystem {
  readonly databaseUrl: string;
  readonly queues: TestQueues;
  readonly replyQueue: string;
  readonly orchestrator: RunningOrchestrator;
  /** The orchestrator's registry, read straight from its database. */
  readonly db: RegistryDb;
  /** A unique agent id whose work queue (and control queue, declared by the agent) is deleted with the scope. */
  readonly newAgentId: (base: string) => string;
}

/**
 * The usual stage of a system test: a database and reply queue of its own on
 * the shared services, the real orchestrator on them, and a reader of its
 * registry. Fails at once, saying what to build, when the agent bundle is missing.
 */
export const orchestratedSystem = (
  name: string,
  options: Omit<OrchestratorOptions, "databaseUrl" | "replyQueue">
): Effect.Effect<OrchestratedSystem, Error, Scope.Scope> =>
  Effect.gen(function* () {
    yield* Effect.try({ try: requireAgentBundle, catch: (e) => (e instanceof Error ? e : new Error(String(e))) });
    const database = yield* testDatabase(name);
    const queues = yield* testQueues();
    const replyQueue = queues.name("replies");
    const orchestrator = yield* startOrchestrator({ databaseUrl: database.url, replyQueue, ...options });
    const db = yield* registryDb(database.url);
    const newAgentId = (base: string) => {
      const id = uniqueName(base);
      queues.adopt(workQueueName(id));
      return id;
    };
    return { databaseUrl: database.url, queues, replyQueue, orchestrator, db, newAgentId };
  });
