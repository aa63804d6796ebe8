import { Schema } from "effect";
import { AgentId, Int, IsoUtc, WorkId } from "./fields.ts";

/** How a job ended; `rejected` means the agent never ran it (e.g. a kind it does not have). */
export const WorkResultStatus = Schema.Literals(["succeeded", "failed", "timed_out", "rejected", "cancelled", "expired"]);

/** How a job ended. */
export type WorkResultStatus = typeof WorkResultStatus.Type;

/**
 * Payload of a `work_result` message. `output` is already truncated by the
 * agent. `output_sanitized` (optional, absent means false) says the agent
 * replaced bytes of the program's stdout or stderr that are not text
 * (invalid UTF-8, NUL) with U+FFFD: binary output is a normal outcome.
 */
export const WorkResult = Schema.Struct({
  work_id: WorkId,
  agent_id: AgentId,
  status: WorkResultStatus,
  exit_code: Schema.NullOr(Int),
  output: Schema.String,
  error: Schema.NullOr(Schema.String),
  started_at: IsoUtc,
  finished_at: IsoUtc,
  output_sanitized: Schema.optionalKey(Schema.Boolean)
});

/** A decoded work result. */
export type WorkResult = typeof WorkResult.Type;
