import {
  encodeMessage,
  makeEnvelope,
  MAX_MESSAGE_BYTES,
  type AgentId,
  type Message,
  type PayloadOf,
  toStorableText
} from "@homelab/protocol";
import { type Captured, outputText, stderrText, type TaskOutcome } from "@homelab/process";

/** The part of a work_result that says how the work ended. */
export type ResultFields = Pick<PayloadOf<"work_result">, "status" | "exit_code" | "output" | "error" | "output_sanitized">;

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** A sentence, then stderr's tail when there is one. */
const withStderr = (sentence: string, stderr: Captured): string => {
  const tail = stderrText(stderr);
  return tail === "" ? sentence : `${sentence}; stderr:\n${tail}`;
};

/** The answer to a request that was not run (unknown kind, bad params, delivered again…). */
export const rejection = (reason: string): ResultFields => ({ status: "rejected", exit_code: null, output: "", error: reason });

/** How a run of `program` ended, in the result's words; says so when stdout or stderr had to be made text. */
export const outcomeFields = (program: string, outcome: TaskOutcome): ResultFields => {
  const fields = endedFields(program, outcome);
  const sanitized = outcome._tag !== "NotStarted" && (outcome.stdout.sanitized || (fields.error !== null && outcome.stderr.sanitized));
  return sanitized ? { ...fields, output_sanitized: true } : fields;
};

const endedFields = (program: string, outcome: TaskOutcome): ResultFields => {
  switch (outcome._tag) {
    case "NotStarted":
      return { status: "failed", exit_code: null, output: "", error: outcome.reason };
    case "Exited":
      return outcome.exitCode === 0
        ? { status: "succeeded", exit_code: 0, output: outputText(outcome.stdout), error: null }
        : {
            status: "failed",
            exit_code: outcome.exitCode,
            output: outputText(outcome.stdout),
            error: withStderr(`${program} exited with code ${outcome.exitCode}`, outcome.stderr)
          };
    case "Signalled":
      return {
        status: "failed",
        exit_code: null,
        output: outputText(outcome.stdout),
        error: withStderr(`${program} was killed by ${outcome.signal}`, outcome.stderr)
      };
    case "TimedOut":
      return {
        status: "timed_out",
        exit_code: null,
        output: outputText(outcome.stdout),
        error: withStderr(`timed out after ${seconds(outcome.timeoutMs)}; ${program} and its process group were killed`, outcome.stderr)
      };
    case "Killed":
      return { status: "failed", exit_code: null, output: outputText(outcome.stdout), error: withStderr(outcome.reason, outcome.stderr) };
  }
};

/** The fields with NUL and unpaired surrogates replaced by U+FFFD, marked as sanitized when that changed anything. */
const storable = (fields: ResultFields): ResultFields => {
  const output = toStorableText(fields.output);
  const error = fields.error === null ? null : toStorableText(fields.error);
  return output === fields.output && error === fields.error ? fields : { ...fields, output, error, output_sanitized: true };
};

const SHORTENED = "\n[shortened to fit the 1 MiB message limit]";

/**
 * A work_result message that encodes within {@link MAX_MESSAGE_BYTES}. The
 * output caps keep the raw text well under it, but JSON escaping can grow a
 * control character to six bytes: if the message is still too big, the
 * longer of output and error is halved (and marked) until it fits.
 */
export const workResultMessage = (input: {
  readonly stamp: { readonly message_id: string; readonly sent_at: string };
  readonly agentId: AgentId;
  readonly workId: string;
  readonly fields: ResultFields;
  readonly startedAt: string;
  readonly finishedAt: string;
}): Message => {
  const build = (raw: ResultFields): Message => {
    // Captured output is text already; an error sentence can still quote a
    // config value or a program name: nothing leaves that the orchestrator refuses.
    const fields = storable(raw);
    return makeEnvelope({
      ...input.stamp,
      type: "work_result",
      sender: input.agentId,
      correlation_id: input.workId,
      payload: {
        work_id: input.workId,
        agent_id: input.agentId,
        ...fields,
        started_at: input.startedAt,
        finished_at: input.finishedAt
      }
    });
  };
  let output = input.fields.output;
  let error = input.fields.error ?? "";
  let cutOutput = false;
  let cutError = false;
  let message = build(input.fields);
  while (encodeMessage(message).byteLength > MAX_MESSAGE_BYTES && output.length + error.length > 0) {
    if (output.length >= error.length) {
      output = output.slice(0, Math.floor(output.length / 2));
      cutOutput = true;
    } else {
      error = error.slice(0, Math.floor(error.length / 2));
      cutError = true;
    }
    message = build({
      ...input.fields,
      output: cutOutput ? `${output}${SHORTENED}` : output,
      error: input.fields.error === null ? null : cutError ? `${error}${SHORTENED}` : error
    });
  }
  return message;
};
