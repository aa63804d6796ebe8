import { Effect } from "effect";
import { decodeMessageEffect, poolNameOf } from "../src/index.ts";
import * as fixtures from "./fixtures.ts";
import { decodeOk } from "./helpers.ts";

describe("decoding messages as a Python agent writes them", () => {
  it("decodes a GPU desktop heartbeat, dropping unknown fields and a null correlation_id", () => {
    expect(decodeOk(fixtures.pythonHeartbeatJson)).toStrictEqual(fixtures.pythonHeartbeat);
  });

  it("decodes the same heartbeat from UTF-8 bytes", () => {
    expect(decodeOk(new TextEncoder().encode(fixtures.pythonHeartbeatJson))).toStrictEqual(fixtures.pythonHeartbeat);
  });

  it("decodes a Node Buffer, the body type AMQP drivers hand over", () => {
    expect(decodeOk(Buffer.from(fixtures.pythonHeartbeatJson, "utf8"))).toStrictEqual(fixtures.pythonHeartbeat);
  });

  it("decodes a GPU-less server heartbeat with its own pool and zero VRAM", () => {
    expect(decodeOk(fixtures.pythonServerHeartbeatJson)).toStrictEqual(fixtures.pythonServerHeartbeat);
  });

  it("places a heartbeat without pool_name in <agent_type>_pool_1 and keeps a named pool", () => {
    const desktop = decodeOk(fixtures.pythonHeartbeatJson);
    const server = decodeOk(fixtures.pythonServerHeartbeatJson);
    if (desktop.type !== "work_status" || server.type !== "work_status") throw new Error("expected heartbeats");
    expect(desktop.payload.pool_name).toBeUndefined();
    expect(poolNameOf(desktop.payload)).toBe("desktop_pool_1");
    expect(poolNameOf(server.payload)).toBe("storage_pool");
  });

  it("decodes a failed work result with its exit code, output and error", () => {
    expect(decodeOk(fixtures.pythonWorkResultJson)).toStrictEqual(fixtures.pythonWorkResult);
  });

  it("decodes a rejected work result whose exit_code is null", () => {
    expect(decodeOk(fixtures.pythonRejectedResultJson)).toStrictEqual(fixtures.pythonRejectedResult);
  });

  it("decodes a work request, reading a null requirement as absent", () => {
    expect(decodeOk(fixtures.pythonWorkRequestJson)).toStrictEqual(fixtures.pythonWorkRequest);
  });

  it("decodes an agent shutdown notice", () => {
    expect(decodeOk(fixtures.pythonShutdownJson)).toStrictEqual(fixtures.pythonShutdown);
  });

  it("accepts a byte order mark before the JSON, in bytes and in a string", () => {
    const withBom = `\uFEFF${fixtures.pythonShutdownJson}`;
    expect(decodeOk(new TextEncoder().encode(withBom))).toStrictEqual(fixtures.pythonShutdown);
    expect(decodeOk(withBom)).toStrictEqual(fixtures.pythonShutdown);
  });

  it("offers the same decoding as an Effect", () => {
    const decoded = Effect.runSync(decodeMessageEffect(fixtures.pythonShutdownJson));
    expect(decoded).toStrictEqual(fixtures.pythonShutdown);
  });
});
