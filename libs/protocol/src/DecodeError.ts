import { Schema } from "effect";

/**
 * Why a message was refused; the orchestrator counts dead letters by it.
 * Checked in this order, the first that applies wins: oversized, not_utf8,
 * malformed_json, unsupported_version, unknown_type, invalid_agent_id,
 * schema_violation, sender_mismatch (an agent's message whose envelope
 * `sender` is not its `payload.agent_id`: an agent speaks only for itself).
 */
export const DecodeReason = Schema.Literals([
  "oversized",
  "not_utf8",
  "malformed_json",
  "unsupported_version",
  "unknown_type",
  "invalid_agent_id",
  "schema_violation",
  "sender_mismatch"
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

/**
 * Why a message from the reply queue was dead-lettered (the
 * `x-reject-reason` header, and the `reason` label of
 * `homelab_messages_rejected_total`): a decode failure ({@link DecodeReason}), or
 * - `unsupported`: a valid message of a type that does not belong on the
 *   reply queue (work_request);
 * - `unknown_work`: a result whose work_id no orchestrator handed out;
 * - `wrong_agent`: a result sent by another agent than the one the work was
 *   booked on;
 * - `unstorable`: a message whose data the database refuses (SQLSTATE class
 *   22 or 23, or a value the driver cannot send);
 * - `write_failed`: one the database kept failing to write for another
 *   reason while it answered, after a few attempts;
 * - `unauthenticated`: with broker identities on, an agent's message whose
 *   broker-validated user_id is missing or is not its agent_id.
 */
export const REJECT_REASONS = [
  ...DecodeReason.literals,
  "unsupported",
  "unknown_work",
  "wrong_agent",
  "unstorable",
  "write_failed",
  "unauthenticated"
] as const;

/** Why a message was dead-lettered. */
export type RejectReason = (typeof REJECT_REASONS)[number];
