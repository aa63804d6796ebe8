import { Predicate, Result, Schema } from "effect";
import { describeLeaf, type FieldDoc, firstLeaf, formatPath, valueAt } from "@homelab/config";
import { parseChannelUrl } from "./channelUrl.ts";
import type { AlertKind, AlertRule, AlertSettings, ChannelSpec, QuietWindow } from "./types.ts";

/** The kinds a rule may name (a test message goes wherever it is sent). */
export const RULE_KINDS = [
  "unreachable",
  "stopped",
  "flapping",
  "gpu_missing",
  "gpu_collection",
  "work_failed",
  "work_waiting",
  "orchestrator_broker",
  "orchestrator_database"
] as const satisfies ReadonlyArray<AlertKind>;

export const ALERT_URLS_ENV = "ALERT_URLS";

const DEFAULT_FLAP_TRANSITIONS = 3;
const DEFAULT_FLAP_WINDOW_MINUTES = 10;

const NonEmpty = Schema.String.check(Schema.isMinLength(1));
const Names = Schema.Array(NonEmpty).check(Schema.isMinLength(1));
const TimeOfDay = Schema.String.check(Schema.isPattern(/^([01]?\d|2[0-3]):[0-5]\d$/));
const Minutes = Schema.Finite.check(Schema.isBetween({ minimum: 0.1, maximum: 10080 }));

/** `alerts:` in the orchestrator's config file; channel URLs stay unknown here (parsed, with words of their own, below). */
const AlertsFile = Schema.Struct({
  channels: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown))),
  notify_stopped: Schema.optionalKey(Schema.Boolean),
  flapping: Schema.optionalKey(
    Schema.Struct({
      transitions: Schema.optionalKey(Schema.Finite.check(Schema.isInt()).check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
      window_minutes: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 1, maximum: 1440 })))
    })
  ),
  quiet: Schema.optionalKey(
    Schema.NullOr(Schema.Array(Schema.Struct({ agents: Names, from: TimeOfDay, to: TimeOfDay, timezone: Schema.optionalKey(NonEmpty) })))
  ),
  gpu_error_minutes: Schema.optionalKey(Minutes),
  work_failed: Schema.optionalKey(Schema.Union([Schema.Literal("all"), Names])),
  queue_wait_minutes: Schema.optionalKey(Minutes),
  outage_minutes: Schema.optionalKey(Minutes),
  rules: Schema.optionalKey(
    Schema.NullOr(
      Schema.Array(
        Schema.Struct({
          kinds: Schema.optionalKey(Schema.Array(Schema.Literals(RULE_KINDS)).check(Schema.isMinLength(1))),
          agents: Schema.optionalKey(Names),
          channels: Names
        })
      )
    )
  )
});

const TIME: FieldDoc = { expected: 'a time of day as HH:MM (e.g. "01:00")' };
const AGENTS: FieldDoc = { expected: "a non-empty list of agent ids" };

/** What each field of `alerts:` takes, in words. */
export const ALERTS_DOC: FieldDoc = {
  expected: "a mapping of alert settings (channels, notify_stopped, flapping, quiet, gpu_error_minutes, work_failed, queue_wait_minutes, outage_minutes, rules)",
  fields: {
    channels: { expected: "a mapping of channel names to channel URLs" },
    notify_stopped: { expected: "true or false" },
    flapping: {
      expected: "a mapping with transitions and window_minutes",
      fields: {
        transitions: { expected: "a whole number from 1 to 100" },
        window_minutes: { expected: "a number of minutes from 1 to 1440" }
      }
    },
    quiet: {
      expected: "a list of quiet windows",
      entries: {
        key: "an index",
        value: {
          expected: "a quiet window (agents, from, to, timezone)",
          fields: { agents: AGENTS, from: TIME, to: TIME, timezone: { expected: "an IANA time zone (e.g. Europe/Berlin)" } }
        }
      }
    },
    gpu_error_minutes: { expected: "a number of minutes from 0.1 to 10080" },
    work_failed: { expected: 'all, or a non-empty list of task kinds' },
    queue_wait_minutes: { expected: "a number of minutes from 0.1 to 10080" },
    outage_minutes: { expected: "a number of minutes from 0.1 to 10080" },
    rules: {
      expected: "a list of rules",
      entries: {
        key: "an index",
        value: {
          expected: "a rule (kinds, agents, channels)",
          fields: {
            kinds: { expected: `a non-empty list of ${RULE_KINDS.join(", ")}` },
            agents: AGENTS,
            channels: { expected: "a non-empty list of channel names" }
          }
        }
      }
    }
  } satisfies Record<keyof typeof AlertsFile.fields, FieldDoc>
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const kindOf = (value: unknown): string =>
  Array.isArray(value) ? "a list" : typeof value === "string" ? "text" : value === null ? "nothing" : typeof value === "object" ? "a mapping" : `a ${typeof value}`;

const ordinal = (n: number): string => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
};

/** ALERT_URLS holds URLs separated by commas; a comma counts only before a scheme, so smtp's `to=a@b,c@d` stays whole. */
export const splitAlertUrls = (text: string): ReadonlyArray<string> =>
  text
    .split(/,(?=\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/)/)
    .map((url) => url.replace(/^[\s,]+|[\s,]+$/g, ""))
    .filter((url) => url !== "");

const minuteOf = (time: string): number => {
  const [hours = 0, minutes = 0] = time.split(":").map(Number);
  return hours * 60 + minutes;
};

const knownZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/**
 * The alert settings from the config file's `alerts:` (`raw`, read from the
 * file at `source`) and ALERT_URLS. A problem is one line naming where it is
 * (`<file>: alerts.channels.phone: …`, `ALERT_URLS (env, 2nd URL): …`),
 * never quoting a channel URL.
 */
export const alertSettings = (raw: unknown, alertUrls: string | undefined, source: string | undefined): Result.Result<AlertSettings, string> =>
  Result.gen(function* () {
    const at = (path: ReadonlyArray<PropertyKey>) => `${source === undefined ? "" : `${source}: `}${formatPath(["alerts", ...path])}`;
    if (raw !== undefined && raw !== null && (!Predicate.isObject(raw) || Array.isArray(raw))) {
      return yield* Result.fail(`${at([])}: expected ${ALERTS_DOC.expected}, got ${kindOf(raw)}`);
    }
    const decoded = Schema.decodeUnknownResult(AlertsFile)(raw ?? {}, { errors: "first", onExcessProperty: "error" });
    if (Result.isFailure(decoded)) {
      const located = describeLeaf(firstLeaf(decoded.failure.issue), ALERTS_DOC, { urls: [], secrets: ["channels"] }, (where) => valueAt(raw, where));
      return yield* Result.fail(`${at(located.where)}: ${located.text}`);
    }
    const file = decoded.success;

    const channels: Array<ChannelSpec> = [];
    for (const [name, url] of Object.entries(file.channels ?? {})) {
      if (!NAME.test(name)) {
        return yield* Result.fail(`${at(["channels", name])}: a channel name is 1-64 letters, digits, _, . or -, starting with a letter or digit`);
      }
      if (typeof url !== "string") return yield* Result.fail(`${at(["channels", name])}: expected a channel URL as text, got ${kindOf(url)}`);
      channels.push(yield* Result.mapError(parseChannelUrl(url, name), (problem) => `${at(["channels", name])}: ${problem}`));
    }
    const taken = new Set(channels.map((c) => c.name));
    for (const [i, url] of splitAlertUrls(alertUrls ?? "").entries()) {
      const parsed = yield* Result.mapError(parseChannelUrl(url, ""), (problem) => `${ALERT_URLS_ENV} (env, ${ordinal(i + 1)} URL): ${problem}`);
      let name: string = parsed.scheme;
      for (let n = 2; taken.has(name); n++) name = `${parsed.scheme}-${n}`;
      taken.add(name);
      channels.push({ ...parsed, name });
    }

    const quiet: Array<QuietWindow> = [];
    for (const [i, window] of (file.quiet ?? []).entries()) {
      if (window.timezone !== undefined && !knownZone(window.timezone)) {
        return yield* Result.fail(`${at(["quiet", i, "timezone"])}: unknown time zone ${JSON.stringify(window.timezone.slice(0, 60))}; expected an IANA name such as Europe/Berlin`);
      }
      const fromMinute = minuteOf(window.from);
      const toMinute = minuteOf(window.to);
      if (fromMinute === toMinute) return yield* Result.fail(`${at(["quiet", i])}: from and to are the same time, so the window is empty`);
      quiet.push({ agents: window.agents, fromMinute, toMinute, timeZone: window.timezone });
    }

    const rules: Array<AlertRule> = [];
    for (const [i, rule] of (file.rules ?? []).entries()) {
      const unknown = rule.channels.find((name) => !taken.has(name));
      if (unknown !== undefined) {
        const known = taken.size === 0 ? "no channels are configured" : `the channels are ${[...taken].join(", ")}`;
        return yield* Result.fail(`${at(["rules", i, "channels"])}: no channel named ${JSON.stringify(unknown.slice(0, 64))}; ${known}`);
      }
      rules.push({ kinds: rule.kinds, agents: rule.agents, channels: rule.channels });
    }

    return {
      channels,
      rules,
      notifyStopped: file.notify_stopped ?? false,
      flapTransitions: file.flapping?.transitions ?? DEFAULT_FLAP_TRANSITIONS,
      flapWindowSeconds: (file.flapping?.window_minutes ?? DEFAULT_FLAP_WINDOW_MINUTES) * 60,
      quiet,
      gpuErrorSeconds: (file.gpu_error_minutes ?? 5) * 60,
      workFailedKinds: file.work_failed ?? [],
      queueWaitSeconds: file.queue_wait_minutes === undefined ? null : file.queue_wait_minutes * 60,
      outageSeconds: (file.outage_minutes ?? 1) * 60
    };
  });
