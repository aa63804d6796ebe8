import { decodeMessage, decodeMessageValue, toStorableText } from "../src/index.ts";
import { pythonHeartbeatJson, pythonWorkResultJson } from "./fixtures.ts";
import { decodeErr, decodeOk, withField } from "./helpers.ts";

// What the database cannot hold is refused by the protocol, as a
// schema_violation naming the field: NUL and lone surrogates in any string,
// times outside 1970-9999, and heartbeats that are out of bounds or
// disagree with themselves. Each case is one bad value in an otherwise
// valid message.

const resources = (...rest: Array<string | number>) => ["payload", "resources", ...rest];
const heartbeat = JSON.parse(pythonHeartbeatJson) as { payload: { resources: { gpus: Array<Record<string, unknown>> } } };
const gpu0 = heartbeat.payload.resources.gpus[0] ?? {};

/** A heartbeat carrying a one-GPU inventory (the field the agent sends after each `nvidia-smi -q -x`). */
const withInventory = JSON.stringify({
  ...heartbeat,
  payload: {
    ...heartbeat.payload,
    gpu_inventory: {
      backend: "nvidia",
      collected_at: "2026-12-06T03:00:00Z",
      driver_version: "550.120",
      cuda_version: "12.4",
      gpus: [{ index: 0, uuid: "GPU-1", name: "RTX 4090", pci_bus_id: "00000000:01:00.0", mig_mode: null, mig_devices: 0, ecc_mode: null, power_limit_w: 450 }]
    }
  }
});
const inventory = (...rest: Array<string | number>) => ["payload", "gpu_inventory", ...rest];

/** A heartbeat with `count` identical GPUs and sums and count that agree with them. */
const heartbeatWithGpus = (count: number): string => {
  const gpus = Array.from({ length: count }, (_, index) => ({ ...gpu0, index, uuid: null }));
  const root = JSON.parse(pythonHeartbeatJson) as { payload: { resources: Record<string, unknown> } };
  Object.assign(root.payload.resources, {
    gpus,
    gpu_count: count,
    gpu_vram_total_gb: count * Number(gpu0["vram_total_gb"]),
    gpu_vram_available_gb: count * Number(gpu0["vram_available_gb"])
  });
  return JSON.stringify(root);
};

describe("schema_violation: what the database cannot store is refused, naming the field", () => {
  const cases: ReadonlyArray<readonly [string, string, string, RegExp]> = [
    ["a NUL in a GPU name", withField(pythonHeartbeatJson, resources("gpus", 0, "name"), "RTX\u00004090"), "payload.resources.gpus[0].name", /NUL/],
    ["a lone high surrogate in a GPU name", withField(pythonHeartbeatJson, resources("gpus", 1, "name"), "RTX \ud800"), "payload.resources.gpus[1].name", /unpaired UTF-16 surrogate/],
    ["a lone low surrogate in a current work id", withField(pythonHeartbeatJson, ["payload", "current_work", 0], "w\udc00"), "payload.current_work[0]", /unpaired/],
    ["a NUL in a work result's output", withField(pythonWorkResultJson, ["payload", "output"], "\u0000\u0000"), "payload.output", /NUL/],
    ["a NUL in a collection error", withField(pythonHeartbeatJson, resources("collection_errors", 0, "message"), "a\u0000"), "payload.resources.collection_errors[0].message", /NUL/],
    ["a started_at in year 0000", withField(pythonWorkResultJson, ["payload", "started_at"], "0000-01-01T00:00:00Z"), "payload.started_at", /between 1970 and 9999/],
    ["a boot_started_at in year 0000", withField(pythonHeartbeatJson, ["payload", "boot_started_at"], "0000-01-01T00:00:00Z"), "payload.boot_started_at", /between 1970 and 9999/],
    ["a collected_at in 1969", withField(pythonHeartbeatJson, resources("collected_at"), "1969-12-31T23:59:59Z"), "payload.resources.collected_at", /between 1970 and 9999/],
    ["a GPU index of 2^40", withField(pythonHeartbeatJson, resources("gpus", 0, "index"), 2 ** 40), "payload.resources.gpus[0].index", /from 0 to 1023, got 1099511627776/],
    ["a GPU index used twice", withField(pythonHeartbeatJson, resources("gpus", 1, "index"), 0), "payload.resources.gpus[1].index", /used once, got 0 \(also gpus\[0\]\)/],
    ["a gpu_count that is not the number of GPUs", withField(pythonHeartbeatJson, resources("gpu_count"), 3), "payload.resources.gpu_count", /number of entries in gpus \(2\), got 3/],
    ["a VRAM total that is not the sum", withField(pythonHeartbeatJson, resources("gpu_vram_total_gb"), 40), "payload.resources.gpu_vram_total_gb", /sum over gpus \(35.5\) within 0.01 GB, got 40/],
    ["a VRAM available sum off by 0.02", withField(pythonHeartbeatJson, resources("gpu_vram_available_gb"), 29.98), "payload.resources.gpu_vram_available_gb", /sum over gpus \(30\) within 0.01 GB, got 29.98/],
    ["65 GPUs", heartbeatWithGpus(65), "payload.resources.gpus", /at most 64 GPUs/],
    ["a GPU name of 257 characters", withField(pythonHeartbeatJson, resources("gpus", 0, "name"), "x".repeat(257)), "payload.resources.gpus[0].name", /at most 256 characters/],
    ["257 capabilities", withField(pythonHeartbeatJson, ["payload", "capabilities"], Array.from({ length: 257 }, (_, i) => `k${i}`)), "payload.capabilities", /at most 256 task kinds/],
    ["a NUL in the GPU inventory's driver version", withField(withInventory, inventory("driver_version"), "550\u0000"), "payload.gpu_inventory.driver_version", /NUL/],
    ["a lone surrogate in an inventory GPU's PCI bus id", withField(withInventory, inventory("gpus", 0, "pci_bus_id"), "0000\ud800"), "payload.gpu_inventory.gpus[0].pci_bus_id", /unpaired/],
    ["an inventory collected in year 0000", withField(withInventory, inventory("collected_at"), "0000-01-01T00:00:00Z"), "payload.gpu_inventory.collected_at", /between 1970 and 9999/],
    ["65 MIG devices on one GPU", withField(withInventory, inventory("gpus", 0, "mig_devices"), 65), "payload.gpu_inventory.gpus[0].mig_devices", /at most 64 MIG devices/],
    ["1,025 current work ids", withField(pythonHeartbeatJson, ["payload", "current_work"], Array.from({ length: 1025 }, (_, i) => `w${i}`)), "payload.current_work", /at most 1024 work ids/]
  ];

  it.each(cases)("refuses %s", (_name, wire, path, message) => {
    const error = decodeErr(wire);
    expect({ reason: error.reason, path: error.path }).toStrictEqual({ reason: "schema_violation", path });
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
  });

  it("refuses the same NUL whether the message arrives as bytes, as text or already parsed", () => {
    const wire = withField(pythonHeartbeatJson, resources("gpus", 0, "name"), "a\u0000b");
    const asBytes = decodeMessage(new TextEncoder().encode(wire));
    const asValue = decodeMessageValue(JSON.parse(wire));
    for (const result of [asBytes, decodeMessage(wire), asValue]) {
      expect(result._tag).toBe("Failure");
      if (result._tag === "Failure") expect(result.failure.path).toBe("payload.resources.gpus[0].name");
    }
  });

  it("accepts a heartbeat with a GPU inventory", () => {
    expect(decodeOk(withInventory).type).toBe("work_status");
  });

  it("accepts the limits themselves: 64 GPUs, index 1023, 1970, a surrogate pair, sums off by 0.01", () => {
    expect(decodeOk(heartbeatWithGpus(64)).type).toBe("work_status");
    expect(decodeOk(withField(pythonHeartbeatJson, resources("gpus", 1, "index"), 1023)).type).toBe("work_status");
    expect(decodeOk(withField(pythonHeartbeatJson, resources("collected_at"), "1970-01-01T00:00:00Z")).type).toBe("work_status");
    expect(decodeOk(withField(pythonHeartbeatJson, resources("gpus", 0, "name"), "RTX \u{1F680}")).type).toBe("work_status");
    expect(decodeOk(withField(pythonHeartbeatJson, resources("gpu_vram_total_gb"), 35.51)).type).toBe("work_status");
    expect(decodeOk(withField(pythonWorkResultJson, ["payload", "finished_at"], "9999-12-31T23:59:59Z")).type).toBe("work_result");
    const booted = decodeOk(withField(pythonHeartbeatJson, ["payload", "boot_started_at"], "2025-03-01T11:00:00Z"));
    expect(booted.type === "work_status" && booted.payload.boot_started_at).toBe("2025-03-01T11:00:00Z");
  });

  it("ignores a NUL in an unknown field, which is never stored", () => {
    expect(decodeOk(withField(pythonHeartbeatJson, ["payload", "x_future"], "a\u0000")).type).toBe("work_status");
  });
});

describe("toStorableText: what a sender does to text so that it is never refused", () => {
  it("replaces NUL and unpaired surrogates with U+FFFD and keeps pairs", () => {
    expect(toStorableText("a\u0000b\ud800c\udc00d\u{1F680}")).toBe("a\uFFFDb\uFFFDc\uFFFDd\u{1F680}");
  });

  it("cuts to the limit without splitting a surrogate pair", () => {
    expect(toStorableText("ab\u{1F680}", 3)).toBe("ab");
    expect(toStorableText("abcdef", 4)).toBe("abcd");
  });
});
