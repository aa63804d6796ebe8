import { Effect, Result } from "effect";
import { runLive, scopedHttpReceiver } from "@homelab/testing";
import { NO_ALERT_CHANNELS } from "../src/alerts/AlertChannels.ts";
import { parseChannelUrl } from "../src/alerts/channels.ts";
import { get, startApi } from "./support/startApi.ts";

const channel = (url: string, name: string) => {
  const parsed = parseChannelUrl(url, name);
  if (Result.isFailure(parsed)) throw new Error(parsed.failure);
  return parsed.success;
};

describe("POST /alerts/test", () => {
  it("sends a test message to every channel and says what each far end answered, 502 when one did not take it, with no secret in the reply", async () => {
    const out = await runLive(
      Effect.gen(function* () {
        const receiver = yield* scopedHttpReceiver();
        const closed = yield* scopedHttpReceiver();
        yield* Effect.promise(() => closed.stop());
        const api = yield* startApi([], {
          ...NO_ALERT_CHANNELS,
          channels: [
            channel(`generic+http://127.0.0.1:${receiver.port}/hook`, "hook"),
            channel(`ntfy://s3cret-token@127.0.0.1:${closed.port}/alerts?scheme=http`, "phone")
          ]
        });
        const reply = yield* get(api, "/alerts/test", "POST");
        return { reply, received: receiver.requests() };
      })
    );
    expect(out.reply.status).toBe(502);
    expect(out.reply.json).toEqual({
      results: [
        expect.objectContaining({ channel: "hook", ok: true, status: "HTTP 200" }),
        expect.objectContaining({ channel: "phone", ok: false, url: expect.stringContaining("***") })
      ]
    });
    expect(out.reply.text).not.toContain("s3cret-token");
    expect(out.received.map((r) => (JSON.parse(r.body) as { kind: string; event: string }).kind)).toEqual(["test"]);
  });

  it("answers 409 naming ALERT_URLS when no channel is configured", async () => {
    const reply = await runLive(Effect.flatMap(startApi(), (api) => get(api, "/alerts/test", "POST")));
    expect(reply.status).toBe(409);
    expect(reply.json).toMatchObject({ error: expect.stringContaining("ALERT_URLS") });
  });
});

describe("GET /alerts", () => {
  it("lists the channels with their secrets masked, and refuses a limit out of range by name", async () => {
    const out = await runLive(
      Effect.gen(function* () {
        const api = yield* startApi([], { ...NO_ALERT_CHANNELS, channels: [channel("discord://t0ken-secret@123456", "team")] });
        return { listed: yield* get(api, "/alerts"), bad: yield* get(api, "/alerts?limit=501") };
      })
    );
    expect(out.listed.status).toBe(200);
    expect(out.listed.json).toEqual({ channels: [{ name: "team", scheme: "discord", url: expect.stringContaining("***") }], alerts: [] });
    expect(out.listed.text).not.toContain("t0ken-secret");
    expect(out.bad.status).toBe(400);
    expect(out.bad.json).toMatchObject({ error: expect.stringContaining("limit") });
  });
});
