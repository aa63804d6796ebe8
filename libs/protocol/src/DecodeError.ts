import { Schema } from "effect";

/**
 * Why a message was refused; the orchestrator counts dead letters by it.
 * Checked in this order, the first that applies wins: oversized, not_utf8,
 * malformed_json, unsupported_version, unknown_type, invalid_agent_id,
 * schema_violation.
 */
export const DecodeReason = Schema.Literals([
  "oversized",
  "not_utf8",
  "malformed_json",
  "unsupported_version",
  "unknown_type",
  "invalid_agent_id",
  "schema_violation"
]);

/** A rejection reason code. */
export type DecodeReason = typeof DecodeReason.Type;

/**
 * A message that cannot be accepted. `path` names the offending field in
 * dotted form (`payload.resources.gpus[0].vram_total_gb`, "" for the whole
 * message); `message` is one human sentence that starts with that path.
 */
export class DecodeError extends Schema.TaggedError<DecodeError>()("DecodeError", {
  reason: DecodeReason,
  path: Schema.String,
  message: Schema.String
}) {}
