/**
 * @homelab/protocol — the wire protocol of SPEC §2 as pure data: Effect
 * Schemas for every message, decode/encode helpers and the queue topology.
 * No I/O happens here.
 */
export { AgentShutdown } from "./AgentShutdown.ts";
export { CONTENT_TYPE, MAX_MESSAGE_BYTES, PERSISTENT_DELIVERY_MODE, PROTOCOL_VERSION } from "./constants.ts";
export { decodeDelivered, decodeMessage, decodeMessageEffect, decodeMessageValue } from "./decode.ts";
export { DecodeError, DecodeReason, REJECT_REASONS, type RejectReason } from "./DecodeError.ts";
export { encodeMessage, encodeMessageString } from "./encode.ts";
export {
  AgentShutdownMessage,
  Envelope,
  type EnvelopeInput,
  type EnvelopeOf,
  makeEnvelope,
  Message,
  MESSAGE_TYPES,
  type MessageOf,
  messageSchemas,
  MessageType,
  type PayloadOf,
  WorkCancelMessage,
  WorkRequestMessage,
  WorkResultMessage,
  WorkStatusMessage
} from "./Envelope.ts";
export {
  AGENT_ID_PATTERN,
  AgentId,
  isIsoUtc,
  IsoUtc,
  MAX_HEARTBEAT_STRING,
  MIN_WIRE_YEAR,
  ORCHESTRATOR_SENDER,
  Uuid
} from "./fields.ts";
export {
  CollectionError,
  GpuMetrics,
  GpuType,
  MAX_GPU_INDEX,
  MAX_GPUS,
  ResourceMetrics,
  VRAM_SUM_TOLERANCE_GB
} from "./ResourceMetrics.ts";
export { GpuInventory, GpuInventoryEntry } from "./GpuInventory.ts";
export { AgentStatus, defaultPoolName, MAX_CAPABILITIES, MAX_CURRENT_WORK, poolNameOf, StatusUpdate } from "./StatusUpdate.ts";
export { findUnstorableText, toStorableText, unstorableText } from "./text.ts";
export {
  DEFAULT_DEAD_LETTER_QUEUE,
  DEFAULT_REPLY_QUEUE,
  deadLetterQueueName,
  type QueueArguments,
  type QueueDeclaration,
  REPLY_DELIVERY_LIMIT,
  replyQueueTopology,
  type ReplyQueueTopology,
  workQueueName,
  workQueueTopology,
  controlQueueName,
  controlQueueTopology
} from "./topology.ts";
export { WorkCancel } from "./WorkCancel.ts";
export { WorkRequest, WorkRequirements } from "./WorkRequest.ts";
export { WorkResult, WorkResultStatus } from "./WorkResult.ts";
