import { decodeAgent } from "../src/api/decodeAgent.ts";
import { decode } from "../src/api/decodeKit.ts";
import type { Agent } from "../src/api/types.ts";
import { filterAgents, kindsOf, NO_FILTER, poolsOf } from "../src/fleet/filters.ts";
import { agentJson, gpuJson, metricsJson } from "./fixtures.ts";

const agent = (id: string, over: Record<string, unknown> = {}): Agent => {
  const r = decode(decodeAgent, agentJson(id, over));
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

const fleet = [
  agent("gaming-pc", { pool_name: "home", capabilities: ["comfyui", "shell"] }),
  agent("radeon-box", { pool_name: "lab", resource_metrics: metricsJson({ gpu_type: "amd", gpus: [gpuJson({ name: "Radeon RX 7900 XTX" })] }) }),
  agent("nas", { pool_name: "lab", capabilities: ["backup"], resource_metrics: metricsJson({ gpu_type: "none", gpus: [] }) })
];
const ids = (list: ReadonlyArray<Agent>) => list.map((a) => a.agent_id);

describe("fleet filters", () => {
  test("no filter shows every agent", () => {
    expect(ids(filterAgents(fleet, NO_FILTER))).toEqual(["gaming-pc", "radeon-box", "nas"]);
  });

  test("the pool filter keeps only that pool", () => {
    expect(ids(filterAgents(fleet, { ...NO_FILTER, pool: "lab" }))).toEqual(["radeon-box", "nas"]);
  });

  test("the vendor filter matches the agent's gpu_type, including none", () => {
    expect(ids(filterAgents(fleet, { ...NO_FILTER, vendor: "amd" }))).toEqual(["radeon-box"]);
    expect(ids(filterAgents(fleet, { ...NO_FILTER, vendor: "none" }))).toEqual(["nas"]);
  });

  test("search matches agent id, pool, GPU name and kinds, in any case", () => {
    expect(ids(filterAgents(fleet, { ...NO_FILTER, search: "GAMING" }))).toEqual(["gaming-pc"]);
    expect(ids(filterAgents(fleet, { ...NO_FILTER, search: "home" }))).toEqual(["gaming-pc"]);
    expect(ids(filterAgents(fleet, { ...NO_FILTER, search: "7900" }))).toEqual(["radeon-box"]);
    expect(ids(filterAgents(fleet, { ...NO_FILTER, search: "backup" }))).toEqual(["nas"]);
  });

  test("every search word must match, and filters combine", () => {
    expect(ids(filterAgents(fleet, { ...NO_FILTER, search: "lab radeon" }))).toEqual(["radeon-box"]);
    expect(ids(filterAgents(fleet, { pool: "home", vendor: "amd", search: "" }))).toEqual([]);
  });

  test("the pool and kind choices are the distinct values present, sorted", () => {
    expect(poolsOf(fleet)).toEqual(["home", "lab"]);
    expect(kindsOf(fleet)).toEqual(["backup", "comfyui", "echo", "shell"]);
  });
});
