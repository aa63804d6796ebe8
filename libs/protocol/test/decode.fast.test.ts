import { isDeepStrictEqual } from "node:util";
import { Result } from "effect";
import fc from "fast-check";
import { validateWithSchema } from "../src/decode.ts";
import { decodeHeartbeatFast } from "../src/fastHeartbeat.ts";
import { decodeMessage, encodeMessageString, type EnvelopeOf } from "../src/index.ts";
import { basePathOf, edit, garbage, parsed } from "./arbitraries.ts";
import { pythonHeartbeatJson, pythonServerHeartbeatJson } from "./fixtures.ts";
import { applyEdit, pathsOf, withField } from "./helpers.ts";
import * as samples from "./samples.ts";

// The heartbeat's fast decoder must answer exactly as the Schema does
// whenever it answers at all: same message (unknown fields dropped, null
// optionals absent), and never a yes where the Schema says no.

const withAdvertised: EnvelopeOf<"work_status"> = {
  ...samples.heartbeat,
  correlation_id: "c-1",
  payload: {
    ...samples.heartbeat.payload,
    boot_started_at: "2025-03-01T11:00:00Z",
    max_concurrent_work: 2,
    task_requires: { echo: {}, transcode: { min_vram_gb: 8, min_cores: 2, min_memory_gb: 4, gpu_type: "nvidia" } }
  }
};

const firstGpu = samples.heartbeat.payload.resources.gpus[0]!;
const twoGpus: EnvelopeOf<"work_status"> = {
  ...samples.heartbeat,
  payload: {
    ...samples.heartbeat.payload,
    resources: {
      ...samples.heartbeat.payload.resources,
      gpu_count: 2,
      gpu_vram_total_gb: firstGpu.vram_total_gb + 24,
      gpu_vram_available_gb: firstGpu.vram_available_gb + 22.5,
      gpus: [
        firstGpu,
        { index: 1, uuid: null, name: "AMD Radeon RX 7900 XTX", vram_total_gb: 24, vram_used_gb: 1.5, vram_available_gb: 22.5, utilization_percent: 3, temperature_c: null }
      ]
    }
  }
};

const heartbeats: ReadonlyArray<string> = [
  encodeMessageString(samples.heartbeat),
  encodeMessageString(withAdvertised),
  encodeMessageString(twoGpus),
  pythonHeartbeatJson,
  pythonServerHeartbeatJson,
  // Optionals sent as null by other senders.
  withField(withField(encodeMessageString(withAdvertised), ["payload", "pool_name"], null), ["payload", "task_requires", "transcode", "min_cores"], null)
];

type Answer = "same" | "schema only" | "disagree";

/** How the fast decoder's answer compares with the Schema's on one parsed value. */
const compare = (value: unknown): Answer => {
  const schema = validateWithSchema("work_status", value);
  const fast = typeof value === "object" && value !== null && !Array.isArray(value) ? decodeHeartbeatFast(value as Record<string, unknown>) : undefined;
  if (fast === undefined) return "schema only";
  if (Result.isSuccess(schema)) return isDeepStrictEqual(fast, schema.success) ? "same" : "disagree";
  // The sender check is decode.ts's, after either path.
  return schema.failure.reason === "sender_mismatch" && fast.sender !== fast.payload.agent_id ? "same" : "disagree";
};

describe("the heartbeat's fast decoder", () => {
  it("decides every valid heartbeat agents send, to the Schema's message", () => {
    for (const wire of heartbeats) expect(compare(parsed(wire))).toBe("same");
  });

  it("leaves a heartbeat carrying a GPU inventory to the Schema, which decodes it", () => {
    const inventory = { backend: "nvidia", collected_at: "2025-03-01T12:00:00Z", driver_version: "550.54", cuda_version: "12.4", gpus: [] };
    const value = parsed(withField(encodeMessageString(samples.heartbeat), ["payload", "gpu_inventory"], inventory));
    expect(compare(value)).toBe("schema only");
    expect(Result.isSuccess(validateWithSchema("work_status", value))).toBe(true);
  });

  it("leaves a task_requires keyed __proto__ to the Schema", () => {
    const wire = encodeMessageString(withAdvertised).replace('"echo":{}', '"__proto__":{}');
    expect(wire).toContain("__proto__");
    expect(compare(parsed(wire))).toBe("schema only");
  });

  it("answers as the Schema does for heartbeats with a field dropped or set to garbage (4,000 runs)", () => {
    let decided = 0;
    fc.assert(
      fc.property(basePathOf(heartbeats), edit, ({ wire, path }, change) => {
        const root = parsed(wire);
        applyEdit(root, path, change);
        const answer = compare(root);
        if (answer === "same") decided += 1;
        return answer !== "disagree";
      }),
      { numRuns: 4000 }
    );
    // The property says something only if the fast path decided a fair share itself.
    expect(decided).toBeGreaterThan(400);
  });

  it("answers as the Schema does for heartbeats with unknown fields added and several fields mangled (2,000 runs)", () => {
    const changes = fc.array(fc.tuple(fc.nat(), fc.oneof(edit, fc.record({ add: fc.string({ minLength: 1, maxLength: 8 }), value: garbage }))), {
      minLength: 1,
      maxLength: 4
    });
    fc.assert(
      fc.property(fc.nat(heartbeats.length - 1), changes, (base, list) => {
        const root = parsed(heartbeats[base] ?? "");
        for (const [pick, change] of list) {
          const paths = pathsOf(root);
          const path = paths[pick % Math.max(paths.length, 1)];
          if (path === undefined) continue;
          if (typeof change === "object" && "add" in change) applyEdit(root, [...path.slice(0, -1), `x_${change.add}`], { set: change.value });
          else applyEdit(root, path, change);
        }
        return compare(root) !== "disagree";
      }),
      { numRuns: 2000 }
    );
  });

  it("keeps the reasons decodeMessage gives: a heartbeat from another sender is a sender_mismatch", () => {
    const wire = withField(encodeMessageString(samples.heartbeat), ["sender"], "someone-else");
    const result = decodeMessage(wire);
    expect(Result.isFailure(result) && result.failure.reason).toBe("sender_mismatch");
  });
});
