import { Schema } from "effect";
import { AgentId, IsoUtc, NonNegativeInt, ShortName, TASK_KIND_PATTERN, TaskKind, Uuid, WorkId } from "./fields.ts";
import { optionalOrNull } from "./optional.ts";
import { GpuInventory } from "./GpuInventory.ts";
import { ResourceMetrics } from "./ResourceMetrics.ts";
import { WorkRequirements } from "./WorkRequest.ts";

/** What the agent says about itself; liveness (online/offline) is the orchestrator's call. */
export const AgentStatus = Schema.Literals(["online", "busy", "draining"]);

/** The agent's own status report. */
export type AgentStatus = typeof AgentStatus.Type;

/** The most task kinds one heartbeat may advertise. */
export const MAX_CAPABILITIES = 256;
/** The most work ids one heartbeat may list as in progress. */
export const MAX_CURRENT_WORK = 1024;

/** The heartbeat: payload of a `work_status` message (SPEC §2). */
export const StatusUpdate = Schema.Struct({
  agent_id: AgentId,
  agent_type: ShortName,
  pool_name: optionalOrNull(ShortName),
  status: AgentStatus,
  boot_id: Uuid,
  /**
   * When this boot started, by the agent's clock (optional: older agents do
   * not send it). A heartbeat from another boot replaces the registered one
   * only if its boot started later, or the registered boot has gone silent.
   */
  boot_started_at: optionalOrNull(IsoUtc),
  seq: NonNegativeInt,
  capabilities: Schema.Array(TaskKind).check(
    Schema.isMaxLength(MAX_CAPABILITIES, { expected: `at most ${MAX_CAPABILITIES} task kinds` })
  ),
  resources: ResourceMetrics,
  current_work: Schema.Array(WorkId).check(
    Schema.isMaxLength(MAX_CURRENT_WORK, { expected: `at most ${MAX_CURRENT_WORK} work ids` })
  ),
  /** How many jobs it runs at once (optional: without it the router counts no slots). */
  max_concurrent_work: optionalOrNull(NonNegativeInt.check(Schema.isBetween({ minimum: 1, maximum: 1024 }, { expected: "an integer from 1 to 1024" }))),
  /** Per advertised kind, what the kind requires of the machine (optional), so the router sends only what the agent would run. */
  task_requires: optionalOrNull(
    // Keys as plain strings, checked below: a Record keyed by TaskKind would silently drop a bad key.
    Schema.Record(Schema.String, WorkRequirements).check(
      Schema.makeFilter((r: Readonly<Record<string, unknown>>) => {
        const kinds = Object.keys(r);
        if (kinds.length > MAX_CAPABILITIES) return `expected at most ${MAX_CAPABILITIES} task kinds, got ${kinds.length}`;
        const bad = kinds.find((kind) => !TASK_KIND_PATTERN.test(kind));
        return bad === undefined ? true : { path: [bad], issue: `expected a task kind (1-128 of A-Z a-z 0-9 . _ : -, starting with a letter or digit), got ${JSON.stringify(bad.slice(0, 40))}` };
      })
    )
  ),
  /** The GPU inventory, in the heartbeat after each collection (start, then every 10 minutes); absent otherwise. */
  gpu_inventory: optionalOrNull(GpuInventory)
});

/** A decoded heartbeat. */
export type StatusUpdate = typeof StatusUpdate.Type;

/** The pool an agent joins when it names none: `<agent_type>_pool_1`. */
export const defaultPoolName = (agentType: string): string => `${agentType}_pool_1`;

/** The pool a heartbeat places its agent in: its `pool_name`, else the default for its type. */
export const poolNameOf = (status: Pick<StatusUpdate, "agent_type" | "pool_name">): string =>
  status.pool_name ?? defaultPoolName(status.agent_type);
