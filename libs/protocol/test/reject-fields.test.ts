import { Result } from "effect";
import { decodeMessageValue } from "../src/index.ts";
import { pythonHeartbeatJson, pythonWorkRequestJson, pythonWorkResultJson } from "./fixtures.ts";
import { decodeErr, decodeOk, withField, withoutField } from "./helpers.ts";

// A message that gets past the envelope checks is refused as a
// schema_violation at the first field that is wrong. Each case edits a valid
// hand-written message the way a buggy sender would, and checks the path and
// that the sentence names the field and the problem.

const heartbeatWith = (path: ReadonlyArray<string | number>, value: unknown): string =>
  withField(pythonHeartbeatJson, path, value);

describe("schema_violation: every known field is checked", () => {
  const resources = (field: string | number, ...rest: Array<string | number>) => ["payload", "resources", field, ...rest];
  const cases: ReadonlyArray<readonly [string, string, string, string]> = [
    [
      "a memory_percent above 100",
      heartbeatWith(resources("memory_percent"), 140),
      "payload.resources.memory_percent",
      "payload.resources.memory_percent: expected a number between 0 and 100, got 140"
    ],
    ["a missing boot_id", withoutField(pythonHeartbeatJson, ["payload", "boot_id"]), "payload.boot_id", "payload.boot_id: missing required field"],
    ["seq sent as a string", heartbeatWith(["payload", "seq"], "42"), "payload.seq", 'payload.seq: expected number, got "42"'],
    ["a negative seq", heartbeatWith(["payload", "seq"], -1), "payload.seq", "payload.seq: expected an integer >= 0, got -1"],
    ["a fractional seq", heartbeatWith(["payload", "seq"], 1.5), "payload.seq", "payload.seq: expected an integer >= 0, got 1.5"],
    [
      "a negative load average",
      heartbeatWith(resources("cpu_load_5min"), -0.5),
      "payload.resources.cpu_load_5min",
      "payload.resources.cpu_load_5min: expected a number >= 0, got -0.5"
    ],
    [
      "zero cpu_cores_total",
      heartbeatWith(resources("cpu_cores_total"), 0),
      "payload.resources.cpu_cores_total",
      "payload.resources.cpu_cores_total: expected an integer >= 1, got 0"
    ],
    [
      "a GPU utilization of 101",
      heartbeatWith(resources("gpus", 1, "utilization_percent"), 101),
      "payload.resources.gpus[1].utilization_percent",
      "payload.resources.gpus[1].utilization_percent: expected a number between 0 and 100, got 101"
    ],
    [
      "more memory available than installed",
      heartbeatWith(resources("memory_available_gb"), 40),
      "payload.resources.memory_available_gb",
      "payload.resources.memory_available_gb: expected at most memory_total_gb (31.25), got 40"
    ],
    [
      "more VRAM available than the GPU has",
      heartbeatWith(resources("gpus", 0, "vram_available_gb"), 24.5),
      "payload.resources.gpus[0].vram_available_gb",
      "payload.resources.gpus[0].vram_available_gb: expected at most vram_total_gb (23.98828125), got 24.5"
    ],
    [
      "more fleet VRAM available than total",
      heartbeatWith(resources("gpu_vram_available_gb"), 36),
      "payload.resources.gpu_vram_available_gb",
      "payload.resources.gpu_vram_available_gb: expected at most gpu_vram_total_gb (35.5), got 36"
    ],
    [
      "an unknown gpu_type",
      heartbeatWith(resources("gpu_type"), "apple"),
      "payload.resources.gpu_type",
      'payload.resources.gpu_type: expected "nvidia" | "amd" | "intel" | "none", got "apple"'
    ],
    [
      "an unknown agent status",
      heartbeatWith(["payload", "status"], "sleeping"),
      "payload.status",
      'payload.status: expected "online" | "busy" | "draining", got "sleeping"'
    ],
    [
      "a sent_at with an offset instead of Z",
      heartbeatWith(["sent_at"], "2025-03-01T12:00:00+00:00"),
      "sent_at",
      'sent_at: expected an ISO-8601 UTC time between 1970 and 9999, such as 2025-01-31T12:00:00Z, got "2025-03-01T12:00:00+00:00"'
    ],
    [
      "a collected_at on 30 February",
      heartbeatWith(resources("collected_at"), "2025-02-30T12:00:00Z"),
      "payload.resources.collected_at",
      'payload.resources.collected_at: expected an ISO-8601 UTC time between 1970 and 9999, such as 2025-01-31T12:00:00Z, got "2025-02-30T12:00:00Z"'
    ],
    ["a message_id that is not a UUID", heartbeatWith(["message_id"], "123"), "message_id", 'message_id: expected a UUID, got "123"'],
    ["a null payload", heartbeatWith(["payload"], null), "payload", "payload: expected object, got null"],
    [
      "capabilities holding an empty kind",
      heartbeatWith(["payload", "capabilities"], ["echo", ""]),
      "payload.capabilities[1]",
      'payload.capabilities[1]: expected a task kind (1-128 of A-Z a-z 0-9 . _ : -, starting with a letter or digit), got ""'
    ]
  ];

  it.each(cases)("refuses a heartbeat with %s", (_name, wire, path, message) => {
    const error = decodeErr(wire);
    expect({ reason: error.reason, path: error.path, message: error.message }).toStrictEqual({
      reason: "schema_violation",
      path,
      message
    });
  });

  it("refuses an overflowing number (1e999 parses to Infinity)", () => {
    const error = decodeErr(pythonHeartbeatJson.replace('"memory_percent": 34.4', '"memory_percent": 1e999'));
    expect(error).toMatchObject({ reason: "schema_violation", path: "payload.resources.memory_percent" });
    expect(error.message).toBe("payload.resources.memory_percent: expected a finite number, got Infinity");
  });

  it("refuses a work request whose params hold a number, naming the param", () => {
    const error = decodeErr(withField(pythonWorkRequestJson, ["payload", "params", "frame rate"], 30));
    expect(error).toMatchObject({ reason: "schema_violation", path: 'payload.params["frame rate"]' });
    expect(error.message).toBe('payload.params["frame rate"]: expected string, got 30');
  });

  it("refuses a work request with a zero timeout", () => {
    expect(decodeErr(withField(pythonWorkRequestJson, ["payload", "timeout_seconds"], 0))).toMatchObject({
      reason: "schema_violation",
      path: "payload.timeout_seconds",
      message: "payload.timeout_seconds: expected a number > 0, got 0"
    });
  });

  it("refuses the heartbeat's slots and kind requirements when they are out of range, naming the field", () => {
    expect(decodeErr(heartbeatWith(["payload", "max_concurrent_work"], 0))).toMatchObject({
      reason: "schema_violation",
      path: "payload.max_concurrent_work"
    });
    expect(decodeErr(heartbeatWith(["payload", "max_concurrent_work"], 2 ** 40)).path).toBe("payload.max_concurrent_work");
    expect(decodeErr(heartbeatWith(["payload", "task_requires"], { echo: { min_vram_gb: -1 } })).path).toBe("payload.task_requires.echo.min_vram_gb");
    expect(decodeErr(heartbeatWith(["payload", "task_requires"], { "bad kind": {} }))).toMatchObject({
      reason: "schema_violation",
      path: 'payload.task_requires["bad kind"]'
    });
    expect(decodeOk(heartbeatWith(["payload", "task_requires"], { echo: { min_vram_gb: 2, gpu_type: "nvidia" } })).type).toBe("work_status");
  });

  it("accepts a heartbeat with a GPU inventory, and refuses one whose inventory is out of range or not the NVIDIA shape, naming the field", () => {
    const inventory = {
      backend: "nvidia",
      collected_at: "2026-12-06T03:00:00.000Z",
      driver_version: "550.120",
      cuda_version: null,
      gpus: [{ index: 0, uuid: "GPU-1", name: "NVIDIA GeForce RTX 4090", pci_bus_id: "00000000:01:00.0", mig_mode: null, mig_devices: 0, ecc_mode: "Disabled", power_limit_w: 450 }]
    };
    expect(decodeOk(heartbeatWith(["payload", "gpu_inventory"], inventory)).type).toBe("work_status");
    expect(decodeOk(heartbeatWith(["payload", "gpu_inventory"], null)).type).toBe("work_status");
    const gpu = inventory.gpus[0];
    expect(decodeErr(heartbeatWith(["payload", "gpu_inventory"], { ...inventory, gpus: [{ ...gpu, power_limit_w: -5 }] })).path).toBe(
      "payload.gpu_inventory.gpus[0].power_limit_w"
    );
    expect(decodeErr(heartbeatWith(["payload", "gpu_inventory"], { ...inventory, driver_version: "x".repeat(257) })).path).toBe(
      "payload.gpu_inventory.driver_version"
    );
    expect(decodeErr(heartbeatWith(["payload", "gpu_inventory"], { ...inventory, backend: "amd" })).path).toBe("payload.gpu_inventory.backend");
    expect(decodeErr(heartbeatWith(["payload", "gpu_inventory"], { ...inventory, gpus: Array.from({ length: 65 }, (_, i) => ({ ...gpu, index: i })) })).path).toBe(
      "payload.gpu_inventory.gpus"
    );
  });

  it("refuses a work request whose expires_at is not a time between 1970 and 9999", () => {
    expect(decodeErr(withField(pythonWorkRequestJson, ["payload", "expires_at"], "0000-01-01T00:00:00Z")).path).toBe("payload.expires_at");
  });

  it("refuses a work result with a fractional exit code", () => {
    expect(decodeErr(withField(pythonWorkResultJson, ["payload", "exit_code"], 1.5))).toMatchObject({
      reason: "schema_violation",
      path: "payload.exit_code",
      message: "payload.exit_code: expected an integer, got 1.5"
    });
  });

  it("refuses a top-level array, saying so", () => {
    expect(decodeErr("[1, 2]")).toMatchObject({
      reason: "schema_violation",
      path: "",
      message: "expected a JSON object at the top level, got an array"
    });
  });

  it("keeps a message quoting a huge bad value short", () => {
    const error = decodeErr(heartbeatWith(["payload", "boot_id"], "z".repeat(500_000)));
    expect(error.path).toBe("payload.boot_id");
    expect(error.message.length).toBeLessThanOrEqual(400);
    expect(error.message.startsWith('payload.boot_id: expected a UUID, got "zzz')).toBe(true);
  });
});

describe("DecodeError", () => {
  it("is a tagged error whose fields survive JSON for the dead-letter record", () => {
    const error = decodeErr(heartbeatWith(["payload", "resources", "memory_percent"], 140));
    expect(error._tag).toBe("DecodeError");
    expect(error).toBeInstanceOf(Error);
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual({
      _tag: "DecodeError",
      reason: "schema_violation",
      path: "payload.resources.memory_percent",
      message: "payload.resources.memory_percent: expected a number between 0 and 100, got 140"
    });
  });
});

describe("hostile but well-formed input", () => {
  it("keeps a param named __proto__ as plain data and pollutes no prototype", () => {
    const wire = pythonWorkRequestJson
      .replace('"params": {', '"params": {"__proto__": "evil", ')
      .replace('"priority": 5', '"priority": 5, "__proto__": {"polluted": true}');
    const message = decodeOk(wire);
    if (message.type !== "work_request") throw new Error("expected a work request");
    expect(Object.entries(message.payload.params)).toStrictEqual([
      ["__proto__", "evil"],
      ["input", "/media/in.mkv"],
      ["output", "/media/out.mkv"]
    ]);
    expect(Object.prototype.hasOwnProperty.call(message, "polluted")).toBe(false);
    expect("polluted" in {}).toBe(false);
  });

  it("refuses deeply nested junk in a known field without overflowing the stack", () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const error = decodeErr(pythonHeartbeatJson.replace('"capabilities": ["echo", "transcode"]', `"capabilities": ${deep}`));
    expect(error).toMatchObject({ reason: "schema_violation", path: "payload.capabilities[0]" });
  });
});

describe("decodeMessageValue on values no JSON parser produces", () => {
  it("answers a cyclic object with a DecodeError instead of throwing", () => {
    const cyclic: { [key: string]: unknown } = JSON.parse(pythonHeartbeatJson);
    cyclic["payload"] = cyclic;
    const result = decodeMessageValue(cyclic);
    expect(Result.isFailure(result) && result.failure.reason).toBe("schema_violation");
  });

  it("answers a bigint version with unsupported_version instead of throwing", () => {
    const value: { [key: string]: unknown } = JSON.parse(pythonHeartbeatJson);
    value["version"] = 2n;
    const result = decodeMessageValue(value);
    expect(Result.isFailure(result) && result.failure.reason).toBe("unsupported_version");
  });
});
