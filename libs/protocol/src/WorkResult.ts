import { Schema } from "effect";
import { AgentId, Int, IsoUtc, WorkId } from "./fields.ts";

/** How a job ended; `rejected` means the agent never ran it (e.g. a kind it does not have). */
export const WorkResultStatus = Schema.Literals(["succeeded", "failed", "timed_out", "rejected"]);

/** How a job ended. */
export type WorkResultStatus = typeof WorkResultStatus.Type;

/** Payload of a `work_result` message. `output` is already truncated by the agent. */
export const WorkResult = Schema.Struct({
  work_id: WorkId,
  agent_id: AgentId,
  status: WorkResultStatus,
  exit_code: Schema.NullOr(Int),
  output: Schema.String,
  error: Schema.NullOr(Schema.String),
  started_at: IsoUtc,
  finished_at: IsoUtc
});

/** A decoded work result. */
export type WorkResult = typeof WorkResult.Type;
