import { Schema } from "effect";

// Field schemas shared by the payloads. Every check carries an `expected`
// annotation so a rejection reads "expected <this>, got <that>".

/** The agent_id pattern of SPEC §2; also the shape of pool names and agent types. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** An agent's identity (defaults to its hostname); branded so that only checked values flow on. */
export const AgentId = Schema.String.check(
  Schema.isPattern(AGENT_ID_PATTERN, {
    expected: "an agent_id (1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit)"
  })
).pipe(Schema.brand("AgentId"));

/** A checked agent_id. */
export type AgentId = typeof AgentId.Type;

/** The envelope `sender` of messages from the orchestrator; agents send their own agent_id. */
export const ORCHESTRATOR_SENDER: AgentId = AgentId.make("orchestrator");

/** An RFC 4122/9562 UUID string, as Python's `str(uuid.uuid4())` writes it. */
export const Uuid = Schema.String.check(Schema.isUUID(undefined, { expected: "a UUID" }));

/** A short name such as an agent type ("desktop", "server") or a pool name. */
export const ShortName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    expected: "a short name (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)"
  })
);

/** What a task kind name may be. */
export const TASK_KIND_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A task kind: a key of the agent's `tasks` config. */
export const TaskKind = Schema.String.check(
  Schema.isPattern(TASK_KIND_PATTERN, {
    expected: "a task kind (1-128 of A-Z a-z 0-9 . _ : -, starting with a letter or digit)"
  })
);

/** A work item's id, chosen by the orchestrator. */
export const WorkId = Schema.String.check(
  Schema.isMinLength(1, { expected: "a non-empty work_id" }),
  Schema.isMaxLength(256, { expected: "a work_id of at most 256 characters" })
);

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;

const isLeapYear = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/** True for `YYYY-MM-DDTHH:MM:SS[.fraction]Z` naming a real calendar instant (no leap seconds). */
export const isIsoUtc = (text: string): boolean => {
  const match = ISO_UTC.exec(text);
  if (match === null) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  if (year === undefined || month === undefined || day === undefined) return false;
  if (hour === undefined || minute === undefined || second === undefined) return false;
  const dateExists = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  return dateExists && hour <= 23 && minute <= 59 && second <= 59;
};

/** The earliest year a wire time may name: a desktop whose clock was reset reads 1970, and is still a live agent. */
export const MIN_WIRE_YEAR = 1970;

/**
 * An ISO-8601 UTC instant ending in `Z`, e.g. `2025-01-31T12:00:00.123Z`
 * (0-9 fractional digits, so both JavaScript's and Python's precision pass),
 * in the years 1970 to 9999: PostgreSQL refuses year 0000, and the
 * registry stores these times. Kept as the wire string: the protocol never
 * reads a clock (liveness runs on the server's).
 */
export const IsoUtc = Schema.String.check(
  Schema.makeFilter((text: string) => isIsoUtc(text) && Number(text.slice(0, 4)) >= MIN_WIRE_YEAR, {
    expected: "an ISO-8601 UTC time between 1970 and 9999, such as 2025-01-31T12:00:00Z"
  })
);

/** The longest a heartbeat's free-text string may be (GPU names, uuids, collection errors). */
export const MAX_HEARTBEAT_STRING = 256;

/** Free text within a heartbeat: at most {@link MAX_HEARTBEAT_STRING} characters. */
export const ShortText = Schema.String.check(
  Schema.isMaxLength(MAX_HEARTBEAT_STRING, { expected: `a string of at most ${MAX_HEARTBEAT_STRING} characters` })
);

/** A finite number >= 0 (JSON cannot carry NaN; `1e999` parses to Infinity and is refused). */
export const NonNegative = Schema.Finite.check(
  Schema.isGreaterThanOrEqualTo(0, { expected: "a number >= 0" })
);

/** An integer >= 0. */
export const NonNegativeInt = Schema.Finite.check(
  Schema.isInt({ expected: "an integer >= 0" }),
  Schema.isGreaterThanOrEqualTo(0, { expected: "an integer >= 0" })
);

/** An integer >= 1. */
export const PositiveInt = Schema.Finite.check(
  Schema.isInt({ expected: "an integer >= 1" }),
  Schema.isGreaterThanOrEqualTo(1, { expected: "an integer >= 1" })
);

/** A finite number > 0. */
export const Positive = Schema.Finite.check(Schema.isGreaterThan(0, { expected: "a number > 0" }));

/** A percentage, 0..100 inclusive. */
export const Percent = Schema.Finite.check(
  Schema.isBetween({ minimum: 0, maximum: 100 }, { expected: "a number between 0 and 100" })
);

/** Any integer (exit codes may be negative, e.g. -9 for a signal in Python). */
export const Int = Schema.Finite.check(Schema.isInt({ expected: "an integer" }));
