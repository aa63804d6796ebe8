import { sql, type SQL } from "drizzle-orm";
import { Effect, Schema } from "effect";
import { StatusUpdate } from "@homelab/protocol";
import { decodeRows, rowsOf } from "../src/drivers/shared.ts";
import { RegistryDatabase } from "../src/index.ts";

export const BOOT_1 = "0b7e6f4e-3f51-4c1e-9a53-6a2f0c1d2e01";
export const BOOT_2 = "9d2c1b0a-8e7f-4a6b-b5c4-d3e2f1a0b902";

export interface HeartbeatSpec {
  readonly seq?: number;
  readonly boot?: string;
  readonly type?: string;
  readonly pool?: string;
  readonly status?: "online" | "busy" | "draining";
  /** Free VRAM per GPU, in GB (each card 24 GB, or more when more is free). */
  readonly gpus?: ReadonlyArray<number>;
  readonly gpuType?: "nvidia" | "amd" | "intel" | "none";
  readonly coresFree?: number;
  readonly memoryFree?: number;
  readonly capabilities?: ReadonlyArray<string>;
  readonly collectedAt?: string;
  /** The boot's start by the agent's clock; absent: an older agent that does not send it. */
  readonly bootStartedAt?: string;
  /** max_concurrent_work as the heartbeat advertises it; absent: an agent that does not say. */
  readonly slots?: number;
  /** task_requires per kind. */
  readonly taskRequires?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** A GPU inventory with this driver version rides in the heartbeat; absent: none (most heartbeats). */
  readonly inventoryDriver?: string;
}

/** A one-GPU NVIDIA inventory with the given driver version. */
export const inventory = (driver: string) => ({
  backend: "nvidia" as const,
  collected_at: "2026-12-06T03:00:00.000Z",
  driver_version: driver,
  cuda_version: "12.4",
  gpus: [{ index: 0, uuid: "GPU-0", name: "NVIDIA GeForce RTX 4090", pci_bus_id: "00000000:01:00.0", mig_mode: null, mig_devices: 0, ecc_mode: "Disabled", power_limit_w: 450 }]
});

/** A heartbeat as the wire would carry it, decoded by the protocol's schema (so ids are checked, not cast). */
export const heartbeat = (agentId: string, spec: HeartbeatSpec = {}): StatusUpdate => {
  const gpus = (spec.gpus ?? []).map((free, index) => {
    const total = Math.max(24, free);
    return {
      index,
      uuid: `GPU-${agentId}-${index}`,
      name: "NVIDIA GeForce RTX 4090",
      vram_total_gb: total,
      vram_used_gb: total - free,
      vram_available_gb: free,
      utilization_percent: 10,
      temperature_c: 40
    };
  });
  const coresFree = spec.coresFree ?? 12;
  const memoryFree = spec.memoryFree ?? 48;
  return Schema.decodeUnknownSync(StatusUpdate)({
    agent_id: agentId,
    agent_type: spec.type ?? "desktop",
    ...(spec.pool === undefined ? {} : { pool_name: spec.pool }),
    status: spec.status ?? "online",
    boot_id: spec.boot ?? BOOT_1,
    ...(spec.bootStartedAt === undefined ? {} : { boot_started_at: spec.bootStartedAt }),
    seq: spec.seq ?? 1,
    capabilities: spec.capabilities ?? ["echo"],
    resources: {
      cpu_load_1min: 16 - coresFree,
      cpu_load_5min: 2,
      cpu_load_15min: 1.5,
      cpu_cores_total: 16,
      cpu_cores_available: coresFree,
      memory_total_gb: 64,
      memory_available_gb: memoryFree,
      memory_percent: ((64 - memoryFree) / 64) * 100,
      gpu_type: spec.gpuType ?? (gpus.length > 0 ? "nvidia" : "none"),
      gpu_count: gpus.length,
      gpu_vram_total_gb: gpus.reduce((sum, g) => sum + g.vram_total_gb, 0),
      gpu_vram_available_gb: gpus.reduce((sum, g) => sum + g.vram_available_gb, 0),
      gpus,
      collected_at: spec.collectedAt ?? new Date().toISOString(),
      collection_errors: []
    },
    current_work: [],
    ...(spec.slots === undefined ? {} : { max_concurrent_work: spec.slots }),
    ...(spec.taskRequires === undefined ? {} : { task_requires: spec.taskRequires }),
    ...(spec.inventoryDriver === undefined ? {} : { gpu_inventory: inventory(spec.inventoryDriver) })
  });
};

/** Runs raw SQL on the suite's database and decodes what it returns. */
export const query = <S extends Schema.Top & { readonly DecodingServices: never }>(statement: SQL, schema: S) =>
  Effect.gen(function* () {
    const database = yield* RegistryDatabase;
    const result = yield* database.use("test", (db) => db.execute(statement));
    return yield* decodeRows("test", schema)(rowsOf(result));
  });

export const exec = (statement: SQL) =>
  Effect.gen(function* () {
    const database = yield* RegistryDatabase;
    yield* database.use("test", (db) => db.execute(statement));
  });

/** Pretends the agent's last heartbeat was received `seconds` ago (database clock). */
export const ageHeartbeat = (agentId: string, seconds: number) =>
  exec(
    sql`update agent_registry set last_heartbeat_at = now() - make_interval(secs => ${seconds})
        where agent_id = ${agentId}`
  );

/** The database clock, formatted as the registry formats times. */
export const dbClock = query(
  sql`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as now`,
  Schema.Struct({ now: Schema.String })
).pipe(Effect.map((rows) => rows[0]?.now ?? ""));

export const StoredTransition = Schema.Struct({
  agent_id: Schema.String,
  from_status: Schema.NullOr(Schema.String),
  to_status: Schema.String,
  reason: Schema.String
});

export const storedTransitions = query(
  sql`select agent_id, from_status, to_status, reason from agent_status_transitions order by id`,
  StoredTransition
);
