import { request as httpRequest } from "node:http";

export interface UploadReply {
  readonly status: number;
  readonly text: string;
  /** How much of the body the client managed to write before the server answered and closed. */
  readonly sentBytes: number;
}

/**
 * POSTs `totalBytes` of JSON-typed body to `url`, written from one reused
 * 64 KiB buffer (so the client itself holds no more than that): chunked, or
 * with its `Content-Length` when `declareLength`. Resolves with the answer as
 * soon as one comes, whether or not the server read the whole body.
 */
export const uploadBody = (url: string, totalBytes: number, declareLength: boolean): Promise<UploadReply> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const req = httpRequest({
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: "POST",
      headers: { "content-type": "application/json", ...(declareLength ? { "content-length": String(totalBytes) } : {}) }
    });
    req.on("response", (res) => {
      const parts: Array<Buffer> = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8"), sentBytes: sent });
      });
    });
    // Once the server has refused the body it may close while we still write: the answer still comes.
    req.on("error", (e) => (sent > 0 ? undefined : reject(e)));
    const pump = () => {
      while (sent < totalBytes && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
