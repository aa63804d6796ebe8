import { decodeAgent, decodeBooking } from "./decodeAgent.ts";
import { decode, type Decoder, eachOf, field, nullable, number, object, string } from "./decodeKit.ts";
import { decodeQueuedWork, decodeWork } from "./decodeWork.ts";
import type { FleetEvent } from "./types.ts";
import type { SseFrame } from "./sseParser.ts";

/**
 * What a frame of `/events` means to the page: an event (with the items that
 * were dropped for being malformed, if any), nothing (a kind the page does
 * not know, so a newer server does not break it), or a malformed event.
 */
export type FrameMeaning =
  | { readonly kind: "event"; readonly event: FleetEvent; readonly problems: ReadonlyArray<string> }
  | { readonly kind: "ignored" }
  | { readonly kind: "malformed"; readonly message: string };

interface Decoded {
  readonly event: FleetEvent;
  readonly problems: ReadonlyArray<string>;
}

/** Items of a list decoded one by one; the bad ones go to `problems`. */
const listOf = <T>(decoder: Decoder<T>, o: Record<string, unknown>, key: string, path: string, problems: string[]) => {
  const { items, errors } = eachOf(decoder, o[key], `${path}.${key}`);
  problems.push(...errors);
  return items;
};

/** Like listOf, but a left-out list is `fallback`. */
const optionalListOf = <T, F>(
  decoder: Decoder<T>,
  o: Record<string, unknown>,
  key: string,
  path: string,
  problems: string[],
  fallback: F
): ReadonlyArray<T> | F => (o[key] === undefined || o[key] === null ? fallback : listOf(decoder, o, key, path, problems));

const snapshot: Decoder<Decoded> = (value, path) => {
  const o = object(value, path);
  const problems: string[] = [];
  const work = object(o["work"], `${path}.work`);
  return {
    event: {
      kind: "snapshot",
      now: field(o, "now", string, path),
      heartbeat_timeout_seconds: field(o, "heartbeat_timeout_seconds", nullable(number), path),
      agents: listOf(decodeAgent, o, "agents", path, problems),
      bookings: optionalListOf(decodeBooking, o, "bookings", path, problems, []),
      queued_total: field(o, "queued_total", nullable(number), path),
      work: {
        active: optionalListOf(decodeWork, work, "active", `${path}.work`, problems, []),
        queued: optionalListOf(decodeQueuedWork, work, "queued", `${path}.work`, problems, []),
        finished: optionalListOf(decodeWork, work, "finished", `${path}.work`, problems, [])
      }
    },
    problems
  };
};

const agents: Decoder<Decoded> = (value, path) => {
  const o = object(value, path);
  const problems: string[] = [];
  return {
    event: { kind: "agents", now: field(o, "now", string, path), agents: listOf(decodeAgent, o, "agents", path, problems) },
    problems
  };
};

const work: Decoder<Decoded> = (value, path) => {
  const o = object(value, path);
  const problems: string[] = [];
  return {
    event: {
      kind: "work",
      now: field(o, "now", string, path),
      work: listOf(decodeWork, o, "work", path, problems),
      queued: optionalListOf(decodeQueuedWork, o, "queued", path, problems, null),
      bookings: optionalListOf(decodeBooking, o, "bookings", path, problems, null),
      queued_total: field(o, "queued_total", nullable(number), path)
    },
    problems
  };
};

const DECODERS: Readonly<Record<string, Decoder<Decoded>>> = { snapshot, agents, work };

/** Decodes one frame of the event stream; never throws. */
export const decodeFrame = (frame: SseFrame): FrameMeaning => {
  const decoder = DECODERS[frame.event];
  if (decoder === undefined) return { kind: "ignored" };
  let json: unknown;
  try {
    json = JSON.parse(frame.data);
  } catch {
    return { kind: "malformed", message: `${frame.event} event: its data is not JSON` };
  }
  const result = decode(decoder, json, frame.event);
  if (!result.ok) return { kind: "malformed", message: `${frame.event} event ignored: ${result.error}` };
  return { kind: "event", event: result.value.event, problems: result.value.problems };
};
