// Bounded capture of a child's stdout and stderr. Both pipes are read to the
// end whatever the cap (a child blocked on a full pipe would never exit);
// what does not fit is counted and dropped. stdout keeps its head (where a
// tool prints what it did), stderr its tail (where the reason it failed is).

import { toStorableText } from "@homelab/protocol";

/**
 * Text kept from one stream and how many bytes were dropped to fit the cap.
 * `sanitized`: the bytes were not all text (invalid UTF-8, or NUL, which the
 * orchestrator's database cannot store) and those were replaced by U+FFFD.
 */
export interface Captured {
  readonly text: string;
  readonly droppedBytes: number;
  readonly sanitized: boolean;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The kept bytes as text: invalid UTF-8 and NUL become U+FFFD (binary output is a normal outcome). */
const asText = (bytes: Buffer, droppedBytes: number): Captured => {
  let text: string;
  let sanitized = false;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    text = bytes.toString("utf8");
    sanitized = true;
  }
  if (text.includes("\u0000")) {
    text = toStorableText(text);
    sanitized = true;
  }
  return { text, droppedBytes, sanitized };
};

export interface Capture {
  readonly push: (chunk: Buffer) => void;
  readonly result: () => Captured;
}

const isContinuation = (byte: number | undefined): boolean => byte !== undefined && (byte & 0xc0) === 0x80;

/** Bytes at the end of `buf` that begin a UTF-8 character the cut left incomplete. */
const incompleteTail = (buf: Buffer): number => {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const byte = buf[buf.length - back] ?? 0;
    if (isContinuation(byte)) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
};

/** Keeps the first `cap` bytes (cut back to a whole UTF-8 character when truncated). */
export const headCapture = (cap: number): Capture => {
  const chunks: Array<Buffer> = [];
  let kept = 0;
  let seen = 0;
  return {
    push: (chunk) => {
      seen += chunk.length;
      const room = cap - kept;
      if (room <= 0) return;
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      chunks.push(part);
      kept += part.length;
    },
    result: () => {
      const all = Buffer.concat(chunks);
      const text = seen > kept ? all.subarray(0, all.length - incompleteTail(all)) : all;
      return asText(text, seen - text.length);
    }
  };
};

/** Keeps the last `cap` bytes (starting at a whole UTF-8 character when truncated). */
export const tailCapture = (cap: number): Capture => {
  const chunks: Array<Buffer> = [];
  let held = 0;
  let seen = 0;
  return {
    push: (chunk) => {
      seen += chunk.length;
      chunks.push(chunk);
      held += chunk.length;
      // Whole chunks that lie entirely before the last `cap` bytes can go now.
      while (chunks.length > 0 && held - (chunks[0]?.length ?? 0) >= cap) held -= chunks.shift()?.length ?? 0;
    },
    result: () => {
      const all = Buffer.concat(chunks);
      let start = Math.max(0, all.length - cap);
      const truncated = seen > all.length - start;
      for (let k = 0; truncated && k < 3 && isContinuation(all[start]); k++) start++;
      const text = all.subarray(start);
      return asText(text, seen - text.length);
    }
  };
};

/** stdout as a result's `output`: the kept head, then a line saying how much was dropped. */
export const outputText = (stdout: Captured): string =>
  stdout.droppedBytes === 0 ? stdout.text : `${stdout.text}\n[output truncated: ${stdout.droppedBytes} bytes dropped]`;

/** stderr as the tail of a result's `error`: a line saying how much was dropped, then the kept tail. */
export const stderrText = (stderr: Captured): string =>
  stderr.droppedBytes === 0 ? stderr.text : `[stderr truncated: ${stderr.droppedBytes} earlier bytes dropped]\n${stderr.text}`;
