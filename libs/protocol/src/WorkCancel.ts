import { Schema } from "effect";
import { WorkId } from "./fields.ts";

/**
 * Payload of a `work_cancel` message (orchestrator → `agent.<id>.control`):
 * stop this work. Running, its process group is killed and it is reported
 * `cancelled` with the output so far; not started yet, it never starts.
 */
export const WorkCancel = Schema.Struct({
  work_id: WorkId,
  reason: Schema.String.check(Schema.isMaxLength(1000))
});

/** A decoded cancel order. */
export type WorkCancel = typeof WorkCancel.Type;
