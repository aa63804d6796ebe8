import { Schema } from "effect";
import { IsoUtc, NonNegative, Positive, TaskKind, WorkId } from "./fields.ts";
import { optionalOrNull } from "./optional.ts";
import { GpuType } from "./ResourceMetrics.ts";

/**
 * What a job needs from the machine that runs it. `min_vram_gb` is per GPU:
 * it is met by one card, never by a sum of cards (SPEC §5).
 */
export const WorkRequirements = Schema.Struct({
  min_vram_gb: optionalOrNull(NonNegative),
  min_cores: optionalOrNull(NonNegative),
  min_memory_gb: optionalOrNull(NonNegative),
  gpu_type: optionalOrNull(GpuType)
});

/** A job's requirements. */
export type WorkRequirements = typeof WorkRequirements.Type;

/** Payload of a `work_request` message: run task `kind` with `params` filling its argv slots. */
export const WorkRequest = Schema.Struct({
  work_id: WorkId,
  kind: TaskKind,
  params: Schema.Record(Schema.String, Schema.String),
  requirements: WorkRequirements,
  timeout_seconds: Positive,
  /**
   * The last moment the agent may start it (optional: older orchestrators
   * do not send it). Past it the agent answers `expired` without running it.
   */
  expires_at: optionalOrNull(IsoUtc)
});

/** A decoded work request. */
export type WorkRequest = typeof WorkRequest.Type;
