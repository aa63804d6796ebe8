import { createSseParser } from "../src/api/sseParser.ts";

const all = (chunks: ReadonlyArray<string>) => {
  const parser = createSseParser();
  return chunks.flatMap((c) => parser.push(c));
};

describe("SSE frame parser", () => {
  test("an event line and a data line ended by a blank line make one frame", () => {
    expect(all(["event: agents\ndata: {\"a\":1}\n\n"])).toEqual([{ event: "agents", data: '{"a":1}', id: null }]);
  });

  test("several data lines join with a newline", () => {
    expect(all(["data: one\ndata: two\ndata:three\n\n"])).toEqual([{ event: "message", data: "one\ntwo\nthree", id: null }]);
  });

  test("comment lines (keep-alives) produce nothing and do not disturb the frame around them", () => {
    expect(all([": keep-alive\n\n", "event: work\n: ping\ndata: x\n\n"])).toEqual([{ event: "work", data: "x", id: null }]);
  });

  test("CRLF and lone CR line endings work like LF", () => {
    expect(all(["event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r"])).toEqual([
      { event: "a", data: "1", id: null },
      { event: "b", data: "2", id: null }
    ]);
  });

  test("a frame split anywhere across chunks, even inside a field name or a CRLF pair, comes out whole", () => {
    const text = "event: snapshot\r\ndata: {\"now\":1}\r\n\r\n";
    for (let cut = 1; cut < text.length; cut++) {
      expect(all([text.slice(0, cut), text.slice(cut)])).toEqual([{ event: "snapshot", data: '{"now":1}', id: null }]);
    }
  });

  test("a frame fed one character at a time comes out whole", () => {
    expect(all([..."event: work\ndata: a\ndata: b\n\n"])).toEqual([{ event: "work", data: "a\nb", id: null }]);
  });

  test("a frame without data is not dispatched, and its event name does not leak into the next frame", () => {
    expect(all(["event: agents\n\ndata: x\n\n"])).toEqual([{ event: "message", data: "x", id: null }]);
  });

  test("an unfinished frame at the end of what arrived is held back until its blank line", () => {
    const parser = createSseParser();
    expect(parser.push("event: agents\ndata: x\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "agents", data: "x", id: null }]);
  });

  test("only one space after the colon is removed, and a field without a colon has an empty value", () => {
    expect(all(["data:  two spaces\ndata\n\n"])).toEqual([{ event: "message", data: " two spaces\n", id: null }]);
  });

  test("a leading byte order mark is skipped and ids carry over to later frames", () => {
    expect(all(["\uFEFFid: 7\ndata: a\n\ndata: b\n\n"])).toEqual([
      { event: "message", data: "a", id: "7" },
      { event: "message", data: "b", id: "7" }
    ]);
  });
});
