import v8 from "node:v8";

/**
 * V8 flags the agent process runs with, whatever starts it (the systemd unit,
 * the Docker image, `nx run desktop-agent:serve`, tools/scripts/start.mjs):
 * set here, from the bundle's first module, so that no launcher has to carry
 * them. The agent idles between 30 s heartbeats and has no hot loop, so
 * optimised (TurboFan) and baseline (Sparkplug) machine code buy it nothing
 * measurable while costing ~6 MB resident (docs/benchmarks.md, "Desktop agent
 * footprint"). Both flags may be changed at run time: functions compiled
 * after this line run in the interpreter only.
 */
export const AGENT_V8_FLAGS = ["--no-opt", "--no-sparkplug"] as const;

for (const flag of AGENT_V8_FLAGS) v8.setFlagsFromString(flag);
