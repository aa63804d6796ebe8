// A small fleet as an operator runs it: the real orchestrator and three real
// desktop agents, each with a different (fake) GPU whose tool prints a real
// capture from ../shared/fixtures/gpu. Everything is watched through the
// HTTP API and the orchestrator's database (SPEC §4, §5), never its logs.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Effect } from "effect";
import { fixturesPolicy, gpuFixturesDir, makeFakeGpuTools, missingFixturesError, runLive, type FakeGpuTools } from "@homelab/testing";
import { AGENT_UP_MS, ECHO_AND_HOLD_CONFIG, requireAgentBundle, startAgent } from "./support/agentProcess.ts";
import { eventually, observeFor, repoRoot, type Child } from "./support/childProcess.ts";
import { agentMatching, agentStatus, getAgent, listAgents, type RunningOrchestrator } from "./support/orchestratorProcess.ts";
import type { RegistryDb } from "./support/registryDb.ts";
import { suiteResources } from "./support/suite.ts";
import { orchestratedSystem } from "./support/system.ts";
import { finished, submit } from "./support/work.ts";

const TIMEOUT_SECONDS = 3;
const SWEEP_SECONDS = 1;
/** An agent process is up and heartbeating within this (bundle load, start-up jitter, connect). */
const MARGIN_MS = 3000;

// As the GPU conformance suite finds them: CI clones the repository next to shared/.
const FIXTURES = gpuFixturesDir(repoRoot);
const policy = fixturesPolicy(FIXTURES, "the fleet system tests");
if (policy === "fail") {
  it("finds the GPU fixtures the fleet's fake GPUs print", () => {
    throw missingFixturesError(FIXTURES);
  });
}
/** Runs the fleet's describe blocks only where the fixtures their fake GPUs print are present. */
const describeFleet = policy === "run" ? describe : describe.skip;

interface ExpectedGpu {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly vram_total_gb: number;
  readonly vram_used_gb: number | null;
  readonly vram_available_gb: number;
  readonly utilization_percent: number | null;
  readonly temperature_c: number | null;
}

interface FleetMachine {
  readonly label: string;
  readonly backend: "nvidia" | "amd";
  readonly tool: "nvidia-smi" | "rocm-smi";
  readonly fixture: string;
  readonly pool?: string;
  /** What its fake nvidia-smi prints for `-q -x` (the inventory); absent: it prints the CSV there too, which is not XML. */
  readonly inventory?: string;
}

/** Three desks: a big NVIDIA card, a 16 GB NVIDIA card, and an AMD card mostly in use. */
const MACHINES: ReadonlyArray<FleetMachine> = [
  // Its inventory is a real A100 capture (MIG and ECC on): no H100 `-q -x` capture exists in the fixtures.
  {
    label: "h100",
    backend: "nvidia",
    tool: "nvidia-smi",
    fixture: "nvidia-smi-query-gpu-csv/linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__idle.csv",
    inventory: "nvidia-smi-q-x-xml/telegraf__a100-sxm4-80gb-mig__TRIMMED-1-of-4-gpus.xml"
  },
  { label: "rtx4080", backend: "nvidia", tool: "nvidia-smi", fixture: "nvidia-smi-query-gpu-csv/linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__idle.csv" },
  { label: "rx7800", backend: "amd", tool: "rocm-smi", fixture: "rocm-smi/gpustack__amd-rx7800xt-rocm6.2.4.json", pool: "render_farm" }
];

const expectedGpus = (m: FleetMachine): ReadonlyArray<ExpectedGpu> =>
  (JSON.parse(readFileSync(path.join(FIXTURES, `${m.fixture}.expected.json`), "utf8")) as { gpus: ReadonlyArray<ExpectedGpu> }).gpus;

/** The agents' own task kinds: their capabilities. */
const AGENT_CONFIG = ECHO_AND_HOLD_CONFIG;

/** A fake GPU tool that prints the fixture, removed with the scope. */
const fakeGpu = (m: FleetMachine) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const tools = makeFakeGpuTools();
      tools.answer(m.tool, { stdout: readFileSync(path.join(FIXTURES, m.fixture), "utf8") });
      if (m.inventory !== undefined) tools.answer(m.tool, { stdout: readFileSync(path.join(FIXTURES, m.inventory), "utf8") }, "-q");
      return tools;
    }),
    (tools: FakeGpuTools) => Effect.sync(() => tools.remove())
  );

beforeAll(requireAgentBundle);

const fleetSuite = () => suiteResources(
  Effect.gen(function* () {
    const { orchestrator, db, replyQueue, newAgentId } = yield* orchestratedSystem("fleet", {
      heartbeatTimeoutSeconds: TIMEOUT_SECONDS,
      sweepIntervalSeconds: SWEEP_SECONDS,
      env: { WORK_RESULT_GRACE_SECONDS: "5" }
    });
    const fleet: Array<{ readonly machine: FleetMachine; readonly agentId: string; readonly child: Child }> = [];
    for (const machine of MACHINES) {
      const agentId = newAgentId(machine.label);
      const tools = yield* fakeGpu(machine);
      const child = yield* startAgent({
        agentId,
        replyQueue,
        config: AGENT_CONFIG(machine.pool === undefined ? "" : `pool_name: ${machine.pool}\n`),
        env: { GPU_BACKEND: machine.backend, PATH: tools.path }
      });
      fleet.push({ machine, agentId, child });
    }
    for (const { agentId } of fleet) {
      yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
    }
    const idOf = (label: string) => fleet.find((f) => f.machine.label === label)?.agentId ?? "";
    return { orchestrator, db, replyQueue, newAgentId, fleet, idOf };
  }),
  90_000
);
const suite = policy === "run"
  ? fleetSuite()
  : () => {
      throw new Error(`GPU fixtures missing at ${FIXTURES}`);
    };

/** Distinct heartbeats as the database recorded them over `ms`: (last_heartbeat_ms, last_seq) pairs, oldest first. */
const recordedHeartbeats = async (db: RegistryDb, agentId: string, ms: number) => {
  const samples = await observeFor(() => db.agent(agentId), ms, 50);
  const seen = new Map<number, number>();
  for (const s of samples) if (s !== undefined) seen.set(s.last_seq, s.last_heartbeat_ms);
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([seq, at]) => ({ seq, at }));
};

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface CapacityAgent {
  readonly agent_id: string;
  readonly gpu_type: string;
  readonly best_gpu_vram_available_gb: number;
}
interface CapacityAnswer {
  readonly agents: ReadonlyArray<CapacityAgent>;
  readonly totals: Record<string, number>;
}

const capacity = async (orchestrator: RunningOrchestrator, query: string): Promise<CapacityAnswer> => {
  const { status, body } = await orchestrator.get(`/capacity${query}`);
  if (status !== 200) throw new Error(`GET /capacity${query}: ${status} ${JSON.stringify(body)}`);
  return body as CapacityAnswer;
};

/** The fleet's agents among those /capacity answered (other suites' agents never share this database, but be exact). */
const fleetIn = (answer: CapacityAnswer, ids: ReadonlyArray<string>) => answer.agents.map((a) => a.agent_id).filter((id) => ids.includes(id)).sort();

describeFleet("heartbeats as a real orchestrator receives them from real agents", () => {
  it("stores every resource field of the protocol, with this machine's CPU and memory", async () => {
    const { orchestrator, idOf } = suite();
    const agent = await getAgent(orchestrator, idOf("h100"));
    const metrics = agent?.resource_metrics ?? {};
    expect(Object.keys(metrics).sort()).toEqual(
      [
        "cpu_load_1min",
        "cpu_load_5min",
        "cpu_load_15min",
        "cpu_cores_total",
        "cpu_cores_available",
        "memory_total_gb",
        "memory_available_gb",
        "memory_percent",
        "gpu_type",
        "gpu_count",
        "gpu_vram_total_gb",
        "gpu_vram_available_gb",
        "gpus",
        "collected_at",
        "collection_errors"
      ].sort()
    );
    expect(metrics["cpu_cores_total"]).toBe(os.availableParallelism());
    expect(metrics["memory_total_gb"]).toBeCloseTo(os.totalmem() / 1024 ** 3, 1);
    expect(metrics["cpu_load_1min"]).toBeGreaterThanOrEqual(0);
    expect(Math.abs(Date.parse(String(metrics["collected_at"])) - Date.now())).toBeLessThan(10_000);
  });

  it.each(MACHINES.map((m) => [m.label, m] as const))("reports the %s card's VRAM exactly as the fixture's expected values", async (label, machine) => {
    const { orchestrator, idOf } = suite();
    const agent = await getAgent(orchestrator, idOf(label));
    const metrics = agent?.resource_metrics ?? {};
    const expected = expectedGpus(machine);
    const gpus = metrics["gpus"] as ReadonlyArray<ExpectedGpu>;
    expect(metrics["gpu_type"]).toBe(machine.backend);
    expect(metrics["gpu_count"]).toBe(expected.length);
    expect(gpus.map((g) => ({ name: g.name, uuid: g.uuid }))).toEqual(expected.map((g) => ({ name: g.name, uuid: g.uuid })));
    gpus.forEach((gpu, i) => {
      const want = expected[i];
      expect(gpu.vram_total_gb).toBeCloseTo(want?.vram_total_gb ?? Number.NaN, 2);
      expect(gpu.vram_available_gb).toBeCloseTo(want?.vram_available_gb ?? Number.NaN, 2);
      expect(gpu.temperature_c).toBe(want?.temperature_c);
      expect(gpu.utilization_percent).toBe(want?.utilization_percent);
    });
    expect(metrics["gpu_vram_available_gb"]).toBeCloseTo(expected.reduce((s, g) => s + g.vram_available_gb, 0), 2);
  });

  it("tracks the three agents separately: one record each, its own boot, pool and GPU", async () => {
    const { orchestrator, fleet } = suite();
    const agents = await listAgents(orchestrator);
    const mine = agents.filter((a) => fleet.some((f) => f.agentId === a.agent_id));
    expect(mine).toHaveLength(3);
    expect(new Set(mine.map((a) => a.boot_id)).size).toBe(3);
    expect(Object.fromEntries(mine.map((a) => [a.agent_id, a.pool_name]))).toEqual(
      Object.fromEntries(fleet.map((f) => [f.agentId, f.machine.pool ?? "desktop_pool_1"]))
    );
    expect(Object.fromEntries(mine.map((a) => [a.agent_id, (a.resource_metrics["gpus"] as ReadonlyArray<ExpectedGpu>)[0]?.name]))).toEqual(
      Object.fromEntries(fleet.map((f) => [f.agentId, expectedGpus(f.machine)[0]?.name]))
    );
  });

  it("shows an NVIDIA agent's GPU inventory from nvidia-smi -q -x on /agents/:id, and null where there is none", async () => {
    const { orchestrator, idOf } = suite();
    const h100 = await agentMatching(orchestrator, idOf("h100"), "a GPU inventory", (a) => a.gpu_inventory != null, 5000);
    expect(h100.gpu_inventory).toMatchObject({
      backend: "nvidia",
      driver_version: "535.54.03",
      cuda_version: "12.2",
      gpus: [
        {
          index: 0,
          uuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
          name: "NVIDIA A100-SXM4-80GB",
          pci_bus_id: "00000000:01:00.0",
          mig_mode: "Enabled",
          mig_devices: 4,
          ecc_mode: "Enabled",
          power_limit_w: 500
        }
      ]
    });
    // The RTX 4080's fake prints CSV for -q -x (not XML): no inventory, and it heartbeats on. The AMD card has none.
    for (const label of ["rtx4080", "rx7800"]) {
      const agent = await getAgent(orchestrator, idOf(label));
      expect([label, agent?.status, agent?.gpu_inventory]).toEqual([label, "online", null]);
    }
  });

  it("records heartbeats 1 s apart, one seq after another, as last_heartbeat_at shows", async () => {
    const { db, idOf } = suite();
    const beats = await recordedHeartbeats(db, idOf("rtx4080"), 6500);
    const gaps = beats.slice(1).map((b, i) => b.at - (beats[i]?.at ?? Number.NaN));
    const seqSteps = beats.slice(1).map((b, i) => b.seq - (beats[i]?.seq ?? Number.NaN));
    expect(beats.length).toBeGreaterThanOrEqual(5);
    expect(seqSteps.every((s) => s === 1)).toBe(true);
    expect(median(gaps)).toBeGreaterThan(800);
    expect(median(gaps)).toBeLessThan(1200);
    expect(Math.max(...gaps)).toBeLessThan(2000);
  });

  it("keeps last_heartbeat_at within one interval (plus slack) of now while the agent runs", async () => {
    const { db, fleet } = suite();
    const ages = await observeFor(async () => Promise.all(fleet.map(async (f) => (await db.agent(f.agentId))?.heartbeat_age_seconds ?? Number.NaN)), 3000, 200);
    expect(Math.max(...ages.flat())).toBeLessThan(2);
  });

  it("replaces resource_metrics with each heartbeat: collected_at moves on", async () => {
    const { db, idOf } = suite();
    const first = await db.agent(idOf("rx7800"));
    const later = await eventually(
      "a newer heartbeat",
      () => db.agent(idOf("rx7800")),
      (a) => (a?.last_seq ?? 0) >= (first?.last_seq ?? 0) + 2,
      5000
    );
    expect(Date.parse(String(later?.resource_metrics["collected_at"]))).toBeGreaterThan(Date.parse(String(first?.resource_metrics["collected_at"])));
  });
});

describeFleet("an agent's registration and capabilities", () => {
  it("registers an agent on its first heartbeat, once: the same record (registered_at, capabilities) after it restarts", async () => {
    const { orchestrator, replyQueue, newAgentId } = suite();
    const agentId = newAgentId("reg");
    const before = await getAgent(orchestrator, agentId);
    const outcome = await runLive(
      Effect.gen(function* () {
        const first = yield* startAgent({ agentId, replyQueue, config: AGENT_CONFIG() });
        const registered = yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
        first.signal("SIGTERM");
        yield* Effect.promise(() => first.exited);
        yield* startAgent({ agentId, replyQueue, config: AGENT_CONFIG() });
        const again = yield* Effect.promise(() =>
          agentMatching(orchestrator, agentId, "online with a new boot", (a) => a.status === "online" && a.boot_id !== registered.boot_id, AGENT_UP_MS)
        );
        const listed = (yield* Effect.promise(() => listAgents(orchestrator))).filter((a) => a.agent_id === agentId);
        return { registered, again, listed };
      })
    );
    expect(before).toBeUndefined();
    expect(outcome.registered.capabilities).toEqual(["echo", "hold"]);
    expect(outcome.again.registered_at).toBe(outcome.registered.registered_at);
    expect(outcome.again.capabilities).toEqual(["echo", "hold"]);
    expect(outcome.listed).toHaveLength(1);
  });

  it("takes an agent's record from its config file: type, pool and the task kinds as capabilities, through every heartbeat", async () => {
    const { orchestrator, db, replyQueue, newAgentId } = suite();
    const agentId = newAgentId("cfg");
    const outcome = await runLive(
      Effect.gen(function* () {
        yield* startAgent({ agentId, replyQueue, config: `agent_type: workstation\npool_name: studio\n${AGENT_CONFIG()}` });
        const online = yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
        const samples = yield* Effect.promise(() => observeFor(() => db.agent(agentId), 3000, 250));
        return { online, samples };
      })
    );
    expect(outcome.online).toMatchObject({ agent_type: "workstation", pool_name: "studio", capabilities: ["echo", "hold"] });
    expect(new Set(outcome.samples.map((s) => s?.last_seq)).size).toBeGreaterThanOrEqual(2);
    expect(outcome.samples.every((s) => JSON.stringify(s?.capabilities) === JSON.stringify(["echo", "hold"]))).toBe(true);
  });

  it("honours a 2 s heartbeat interval from the agent's config file", async () => {
    const { db, replyQueue, newAgentId, orchestrator } = suite();
    const agentId = newAgentId("slow");
    const beats = await runLive(
      Effect.gen(function* () {
        yield* startAgent({ agentId, replyQueue, config: `heartbeat_interval_seconds: 2\n${AGENT_CONFIG()}`, intervalFromConfig: true });
        yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
        return yield* Effect.promise(() => recordedHeartbeats(db, agentId, 7000));
      })
    );
    const gaps = beats.slice(1).map((b, i) => b.at - (beats[i]?.at ?? Number.NaN));
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(median(gaps)).toBeGreaterThan(1700);
    expect(median(gaps)).toBeLessThan(2300);
  });
});

describeFleet("offline detection with a fleet running", () => {
  it("takes a kill -9'd agent offline within timeout + sweep while every other agent stays online", async () => {
    const { orchestrator, replyQueue, newAgentId, fleet, db } = suite();
    const agentId = newAgentId("doomed");
    const outcome = await runLive(
      Effect.gen(function* () {
        const doomed = yield* startAgent({ agentId, replyQueue });
        yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
        doomed.signal("SIGKILL");
        const killedAt = Date.now();
        const deadline = (TIMEOUT_SECONDS + 2 * SWEEP_SECONDS) * 1000 + MARGIN_MS;
        const othersSeen: Array<ReadonlyArray<string>> = [];
        yield* Effect.promise(() =>
          eventually(
            `agent ${agentId} offline`,
            async () => {
              othersSeen.push(await Promise.all(fleet.map(async (f) => (await getAgent(orchestrator, f.agentId))?.status ?? "missing")));
              return getAgent(orchestrator, agentId);
            },
            (a) => a?.status === "offline",
            deadline
          )
        );
        const offlineAfterMs = Date.now() - killedAt;
        const fleetTransitions = yield* Effect.promise(() => Promise.all(fleet.map((f) => db.transitions(f.agentId))));
        return { offlineAfterMs, deadline, othersSeen, fleetTransitions };
      })
    );
    expect(outcome.offlineAfterMs).toBeGreaterThan(1000);
    expect(outcome.offlineAfterMs).toBeLessThan(outcome.deadline);
    expect(outcome.othersSeen.flat().every((s) => s === "online")).toBe(true);
    for (const transitions of outcome.fleetTransitions) {
      expect(transitions).toEqual([{ from_status: null, to_status: "online", reason: "first heartbeat" }]);
    }
  });

  it("gives an offline agent no work: a kind only it had waits in the queue once it is gone (409 with queue: false)", async () => {
    const { orchestrator, replyQueue, newAgentId } = suite();
    const agentId = newAgentId("gone");
    const outcome = await runLive(
      Effect.gen(function* () {
        const agent = yield* startAgent({ agentId, replyQueue, config: AGENT_CONFIG(`  only_here:\n    command: ["true"]\n`) });
        yield* Effect.promise(() => agentStatus(orchestrator, agentId, "online", AGENT_UP_MS));
        const whileOnline = yield* Effect.promise(() => orchestrator.post("/work", { kind: "only_here" }));
        yield* Effect.promise(() => finished(orchestrator, (whileOnline.body as { work_id: string }).work_id));
        agent.signal("SIGTERM");
        yield* Effect.promise(() => agentStatus(orchestrator, agentId, "offline", 10_000));
        const whileOffline = yield* Effect.promise(() => orchestrator.post("/work", { kind: "only_here" }));
        const refused = yield* Effect.promise(() => orchestrator.post("/work", { kind: "only_here", queue: false }));
        return { whileOnline, whileOffline, refused };
      })
    );
    expect(outcome.whileOnline.status).toBe(202);
    expect(outcome.whileOnline.body).toMatchObject({ agent_id: agentId });
    expect(outcome.whileOffline.status).toBe(202);
    expect(outcome.whileOffline.body).toMatchObject({ state: "queued", agent_id: null });
    expect((outcome.whileOffline.body as { waiting_reason: string }).waiting_reason).toMatch(/no online agent advertises kind "only_here"/);
    expect(outcome.refused.status).toBe(409);
    expect(JSON.stringify(outcome.refused.body)).toContain("only_here");
  });
});

describeFleet("capacity answers and routing across the three GPUs", () => {
  it("answers min_vram_gb=10 with the H100 and the RTX 4080 only (the AMD card has 5.2 GB free)", async () => {
    const { orchestrator, fleet, idOf } = suite();
    const answer = await capacity(orchestrator, "?min_vram_gb=10");
    expect(fleetIn(answer, fleet.map((f) => f.agentId))).toEqual([idOf("h100"), idOf("rtx4080")].sort());
  });

  it("answers min_vram_gb=20 with the H100 only, and each agent's best free VRAM as its card reports it", async () => {
    const { orchestrator, fleet, idOf } = suite();
    const answer = await capacity(orchestrator, "?min_vram_gb=20");
    expect(fleetIn(answer, fleet.map((f) => f.agentId))).toEqual([idOf("h100")]);
    const all = await capacity(orchestrator, "");
    const best = Object.fromEntries(all.agents.map((a) => [a.agent_id, a.best_gpu_vram_available_gb]));
    for (const f of fleet) expect(best[f.agentId]).toBeCloseTo(expectedGpus(f.machine)[0]?.vram_available_gb ?? Number.NaN, 1);
  });

  it("filters by gpu_type and by pool", async () => {
    const { orchestrator, fleet, idOf } = suite();
    const ids = fleet.map((f) => f.agentId);
    expect(fleetIn(await capacity(orchestrator, "?gpu_type=amd"), ids)).toEqual([idOf("rx7800")]);
    expect(fleetIn(await capacity(orchestrator, "?gpu_type=nvidia"), ids)).toEqual([idOf("h100"), idOf("rtx4080")].sort());
    expect(fleetIn(await capacity(orchestrator, "?pool=render_farm"), ids)).toEqual([idOf("rx7800")]);
  });

  it("sends work that needs 20 GB to the H100 agent, which runs it", async () => {
    const { orchestrator, idOf } = suite();
    const work = await submit(orchestrator, { kind: "echo", params: { message: "on the big card" }, requirements: { min_vram_gb: 20 } });
    expect(work.agent_id).toBe(idOf("h100"));
    const done = await finished(orchestrator, work.work_id);
    expect(done).toMatchObject({ state: "succeeded", agent_id: idOf("h100"), result: { output: "on the big card\n" } });
  });

  it("sends the next 12 GB job to the RTX 4080 while the H100 holds a 70 GB booking", async () => {
    const { orchestrator, idOf } = suite();
    const big = await submit(orchestrator, { kind: "hold", params: { seconds: "4" }, requirements: { min_vram_gb: 70 } });
    const next = await submit(orchestrator, { kind: "echo", params: { message: "x" }, requirements: { min_vram_gb: 12 } });
    const afterBig = await finished(orchestrator, big.work_id);
    await finished(orchestrator, next.work_id);
    expect(big.agent_id).toBe(idOf("h100"));
    expect(next.agent_id).toBe(idOf("rtx4080"));
    expect(afterBig.state).toBe("succeeded");
  });

  it("refuses work no card can take with 409, naming the most free VRAM there is, and books nothing", async () => {
    const { orchestrator } = suite();
    const reply = await orchestrator.post("/work", { kind: "echo", params: { message: "x" }, requirements: { min_vram_gb: 100 } });
    expect(reply.status).toBe(409);
    expect(JSON.stringify(reply.body)).toMatch(/min_vram_gb 100.*79\.\d+ GB/);
    const list = (await orchestrator.get("/work?status=pending")).body as ReadonlyArray<unknown>;
    expect(list).toEqual([]);
  });

  it("sends gpu_type=amd work to the AMD agent although the NVIDIA cards have more free VRAM, and books no card when no VRAM is asked", async () => {
    const { orchestrator, idOf } = suite();
    const work = await submit(orchestrator, { kind: "echo", params: { message: "amd" }, requirements: { gpu_type: "amd" } });
    const done = await finished(orchestrator, work.work_id);
    expect(done).toMatchObject({ agent_id: idOf("rx7800"), state: "succeeded", gpu_index: null });
  });

  it("refuses a kind no agent has with 409 naming the kind", async () => {
    const { orchestrator } = suite();
    const reply = await orchestrator.post("/work", { kind: "transcode_8k" });
    expect(reply.status).toBe(409);
    expect(JSON.stringify(reply.body)).toContain("transcode_8k");
  });
});
