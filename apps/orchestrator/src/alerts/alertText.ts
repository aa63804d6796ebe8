import type { AlertMessage } from "./types.ts";

/** A message in the words every channel uses; each scheme picks the parts it has room for. */
export interface AlertText {
  /** Short and plain, for a notification's title or a mail's subject line ("gaming-pc is unreachable"). */
  readonly title: string;
  /** The summary and, on the lines below, the detail: for channels that show a title of their own (ntfy, gotify, mail). */
  readonly body: string;
  /** The body led by a status mark ("🔴 gaming-pc is unreachable: …"): for chat channels (Discord, Slack). */
  readonly chat: string;
}

const MARK: Record<AlertMessage["kind"], string> = {
  unreachable: "🔴",
  stopped: "⚪",
  flapping: "🟠",
  gpu_missing: "🔴",
  gpu_collection: "🟠",
  work_failed: "❌",
  work_waiting: "⏳",
  orchestrator_broker: "🔴",
  orchestrator_database: "🔴",
  test: "🔔"
};

/** The one formatter behind every channel's text, so all channels say the same thing; the title is the policy's summary line. */
export const alertText = (message: AlertMessage): AlertText => {
  const detail = message.detail.trim();
  const body = detail === "" ? message.summary : `${message.summary}\n${detail}`;
  const mark = message.event === "resolved" ? "✅" : MARK[message.kind];
  return { title: message.event === "test" ? "Test alert" : message.summary, body, chat: `${mark} ${body}` };
};
