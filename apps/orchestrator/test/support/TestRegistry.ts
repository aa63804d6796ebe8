import { Clock, Effect, Layer, Option } from "effect";
import {
  AgentRegistry,
  AlertRegistry,
  RegistryError,
  WorkRegistry,
  type WorkRegistryShape,
  type AgentFilter,
  type AgentRecord,
  type CapacityAgent,
  type CapacityAnswer,
  type CapacityFilter
} from "@homelab/registry";

/**
 * An AgentRegistry over an in-memory array, made for tests of the HTTP
 * surface and the metrics: it answers the read side of the contract (list,
 * get, capacity, count), records the filters it was given, and can be told
 * to fail like an unreachable database. The real registry has its own suite
 * against PostgreSQL; the write side (heartbeats, sweep) is not modelled here.
 */
export interface TestRegistryControl {
  readonly setAgents: (agents: ReadonlyArray<AgentRecord>) => void;
  /** Every later call fails with a RegistryError carrying `message`; `null` heals it. */
  readonly failWith: (message: string | null) => void;
  readonly agentFilters: () => ReadonlyArray<AgentFilter>;
  /** What GET /agents/:id/history asked the registry for. */
  readonly historyReads: () => ReadonlyArray<{ readonly agentId: string; readonly since: string; readonly until: string }>;
  readonly capacityFilters: () => ReadonlyArray<CapacityFilter>;
}

export interface TestRegistry {
  readonly layer: Layer.Layer<AgentRegistry>;
  /** Alerts: none recorded (GET /alerts lists nothing); the worker's side is not modelled. */
  readonly alertLayer: Layer.Layer<AlertRegistry>;
  /** What the metrics read of the work registry: nothing booked, nothing queued (no work in these tests). */
  readonly workForMetrics: Layer.Layer<WorkRegistry>;
  readonly control: TestRegistryControl;
}

export const makeTestRegistry = (initial: ReadonlyArray<AgentRecord> = []): TestRegistry => {
  let agents = [...initial];
  let failure: string | null = null;
  const agentFilters: Array<AgentFilter> = [];
  const historyReads: Array<{ agentId: string; since: string; until: string }> = [];
  const capacityFilters: Array<CapacityFilter> = [];

  const read = <A>(operation: string, answer: () => A): Effect.Effect<A, RegistryError> =>
    Effect.suspend(() =>
      failure === null
        ? Effect.succeed(answer())
        : Effect.fail(new RegistryError({ operation, message: failure }))
    );
  const notModelled = (operation: string) =>
    Effect.die(`TestRegistry: ${operation} is not part of the HTTP surface; use the real registry`);

  const layer = Layer.succeed(AgentRegistry, {
    applyHeartbeats: () => notModelled("applyHeartbeats"),
    findStale: () => notModelled("findStale"),
    nextOfflineDeadline: () => notModelled("nextOfflineDeadline"),
    markOffline: () => notModelled("markOffline"),
    setDrained: () => notModelled("setDrained"),
    pruneHistory: () => notModelled("pruneHistory"),
    agentChanges: () => notModelled("agentChanges"),
    databaseNow: read("databaseNow", () => new Date().toISOString()),
    history: (agentId, since, until) =>
      read("history", () => {
        historyReads.push({ agentId, since, until });
        return [];
      }),
    withSweepLock: (effect) => Effect.map(effect, Option.some),
    ping: read("ping", () => undefined),
    countOnline: read("countOnline", () => agents.filter((a) => a.status === "online").length),
    fleet: Effect.flatMap(Clock.currentTimeMillis, (now) =>
      read("fleet", () =>
        agents.map((a) => ({
          agent_id: a.agent_id,
          pool_name: a.pool_name,
          status: a.status,
          reported_status: a.reported_status,
          drained: a.drained,
          heartbeat_age_seconds: Math.max(0, (now - Date.parse(a.last_heartbeat_at)) / 1000),
          cpu_load_1min: a.resource_metrics.cpu_load_1min,
          cpu_cores_total: a.resource_metrics.cpu_cores_total,
          cpu_cores_available: a.resource_metrics.cpu_cores_available,
          memory_total_gb: a.resource_metrics.memory_total_gb,
          memory_available_gb: a.resource_metrics.memory_available_gb,
          max_concurrent_work: a.max_concurrent_work,
          gpu_type: a.resource_metrics.gpu_type,
          gpus: a.resource_metrics.gpus
        }))
      )
    ),
    listAgents: (filter) =>
      read("listAgents", () => {
        agentFilters.push(filter);
        return agents.filter(
          (a) =>
            (filter.status === undefined || a.status === filter.status) &&
            (filter.pool === undefined || a.pool_name === filter.pool)
        );
      }),
    getAgent: (agentId) =>
      read("getAgent", () => Option.map(Option.fromNullishOr(agents.find((a) => a.agent_id === agentId)), (a) => ({ ...a, gpu_inventory: null }))),
    capacity: (filter) =>
      read("capacity", () => {
        capacityFilters.push(filter);
        return capacityOf(agents, filter);
      })
  });

  const workNotModelled = (operation: string) => () => notModelled(operation);
  const workForMetrics = Layer.succeed(WorkRegistry, {
    bookings: read("bookings", () => ({ vram: [], queued: 0 })),
    route: workNotModelled("route"),
    enqueue: workNotModelled("enqueue"),
    impossible: workNotModelled("impossible"),
    waitingReason: workNotModelled("waitingReason"),
    hasQueuedLike: workNotModelled("hasQueuedLike"),
    place: workNotModelled("place"),
    queue: workNotModelled("queue"),
    expire: notModelled("expire"),
    cancel: workNotModelled("cancel"),
    markDispatched: workNotModelled("markDispatched"),
    fail: workNotModelled("fail"),
    markRunning: workNotModelled("markRunning"),
    recordResult: workNotModelled("recordResult"),
    timeOut: workNotModelled("timeOut"),
    get: workNotModelled("get"),
    list: workNotModelled("list")
  } satisfies WorkRegistryShape);

  const alertLayer = Layer.succeed(AlertRegistry, {
    evaluate: () => notModelled("evaluate"),
    apply: () => notModelled("apply"),
    claimDeliveries: () => notModelled("claimDeliveries"),
    recordDelivery: () => notModelled("recordDelivery"),
    listAlerts: () => read("listAlerts", () => [])
  });

  return {
    layer,
    alertLayer,
    workForMetrics,
    control: {
      setAgents: (next) => {
        agents = [...next];
      },
      failWith: (message) => {
        failure = message;
      },
      agentFilters: () => [...agentFilters],
      historyReads: () => [...historyReads],
      capacityFilters: () => [...capacityFilters]
    }
  };
};

const capacityAgent = (a: AgentRecord): CapacityAgent => {
  const m = a.resource_metrics;
  return {
    agent_id: a.agent_id,
    pool_name: a.pool_name,
    reported_status: a.reported_status,
    gpu_type: m.gpu_type,
    gpu_count: m.gpu_count,
    best_gpu_vram_available_gb: Math.max(0, ...m.gpus.map((g) => g.vram_available_gb)),
    vram_available_gb: m.gpu_vram_available_gb,
    cores_available: m.cpu_cores_available,
    memory_available_gb: m.memory_available_gb,
    // The HTTP tests have no work: nothing booked.
    booked: { vram_gb: 0, cores: 0, memory_gb: 0 },
    draining: a.reported_status === "draining" || a.drained,
    capabilities: a.capabilities,
    last_heartbeat_at: a.last_heartbeat_at
  };
};

const capacityOf = (agents: ReadonlyArray<AgentRecord>, f: CapacityFilter): CapacityAnswer => {
  const fits = agents
    .filter((a) => a.status === "online")
    .map(capacityAgent)
    .filter(
      (c) =>
        (f.min_vram_gb === undefined || c.best_gpu_vram_available_gb >= f.min_vram_gb) &&
        (f.min_cores === undefined || c.cores_available >= f.min_cores) &&
        (f.min_memory_gb === undefined || c.memory_available_gb >= f.min_memory_gb) &&
        (f.gpu_type === undefined || c.gpu_type === f.gpu_type) &&
        (f.pool === undefined || c.pool_name === f.pool)
    );
  const sum = (pick: (c: CapacityAgent) => number) => fits.reduce((total, c) => total + pick(c), 0);
  return {
    agents: fits,
    totals: {
      agents: fits.length,
      vram_available_gb: sum((c) => c.vram_available_gb),
      cores_available: sum((c) => c.cores_available),
      memory_available_gb: sum((c) => c.memory_available_gb),
      booked: { vram_gb: 0, cores: 0, memory_gb: 0 }
    },
    queued: 0
  };
};
