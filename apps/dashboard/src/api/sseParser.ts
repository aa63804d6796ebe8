// The text/event-stream format (WHATWG HTML, "Server-sent events"), parsed
// by hand because the page reads `/events` with fetch (EventSource cannot
// send an Authorization header). Fed decoded text in chunks of any size: a
// line, or a CR LF pair, may be split across chunks.

export interface SseFrame {
  /** The `event:` field, "message" when there was none. */
  readonly event: string;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
  /** The last `id:` seen so far (ids persist across frames), or null. */
  readonly id: string | null;
}

export interface SseParser {
  /** Feeds the next chunk of text; returns the frames it completed, in order. */
  push(chunk: string): ReadonlyArray<SseFrame>;
}

export const createSseParser = (): SseParser => {
  let pending = "";
  let atStart = true;
  // A chunk that ended in CR: if the next one starts with LF, that LF belongs to the same line break.
  let endedInCr = false;
  let eventType = "";
  let dataLines: string[] = [];
  let lastId: string | null = null;

  const processLine = (line: string, frames: SseFrame[]): void => {
    if (line === "") {
      if (dataLines.length > 0) frames.push({ event: eventType === "" ? "message" : eventType, data: dataLines.join("\n"), id: lastId });
      eventType = "";
      dataLines = [];
      return;
    }
    if (line.startsWith(":")) return; // a comment: the server's keep-alive
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (name) {
      case "event":
        eventType = value;
        break;
      case "data":
        dataLines.push(value);
        break;
      case "id":
        if (!value.includes("\u0000")) lastId = value;
        break;
      default:
        // `retry` and unknown fields: the page keeps its own reconnect schedule.
        break;
    }
  };

  return {
    push(chunk) {
      let text = chunk;
      if (endedInCr && text.startsWith("\n")) text = text.slice(1);
      endedInCr = false;
      if (atStart && text.length > 0) {
        if (text.startsWith("\uFEFF")) text = text.slice(1);
        atStart = false;
      }
      const buffer = pending + text;
      const frames: SseFrame[] = [];
      let start = 0;
      // `pending` holds no line break, so a long line arriving in many chunks is scanned once.
      for (let i = pending.length; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        processLine(buffer.slice(start, i), frames);
        if (c === 13) {
          if (i + 1 === buffer.length) endedInCr = true;
          else if (buffer.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      pending = buffer.slice(start);
      return frames;
    }
  };
};
