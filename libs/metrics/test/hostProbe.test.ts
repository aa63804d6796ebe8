import { readFileSync } from "node:fs";
import { Effect } from "effect";
import { runTest } from "@homelab/testing";
import { HostProbe, memoryReading } from "../src/host/HostProbe.ts";

const meminfoKb = (field: string): number => {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/meminfo", "utf8"))?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/meminfo`);
  return Number(kb);
};

describe("HostProbe.memory", () => {
  it("reports MemTotal and MemAvailable from /proc/meminfo, in bytes", async () => {
    const reading = await runTest(HostProbe.use((h) => h.memory).pipe(Effect.provide(HostProbe.layer)));
    expect(reading.total_bytes).toBe(meminfoKb("MemTotal") * 1024);
    // Available moves between the two reads: the same figure within 64 MiB, not MemFree (which excludes the page cache).
    expect(Math.abs(reading.available_bytes - meminfoKb("MemAvailable") * 1024)).toBeLessThan(64 * 1024 * 1024);
  });

  it("fails with a HostSourceError naming the figures when the OS reports no total", async () => {
    const error = await runTest(Effect.flip(memoryReading(0, 1024)));
    expect(error).toMatchObject({ _tag: "HostSourceError", source: "memory", message: "the OS reported memory total=0 available=1024" });
  });

  it("caps available at the total", async () => {
    expect(await runTest(memoryReading(1000, 4000))).toEqual({ total_bytes: 1000, available_bytes: 1000 });
  });
});
