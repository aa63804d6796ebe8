// c. The real orchestrator process under the generator's load, then drained.
import { makeFleet } from "../../loadgen/agents.ts";
import { fmt, log } from "../support.ts";
import { agentCount, drainCapMs, rate, runId, seconds, suffix } from "./settings.ts";
import { type StopResult, startIngestBed } from "./orchestrators.ts";
import { runStep, type StepResult } from "./loadStep.ts";

// ---------------------------------------------------------------------------
// c. the orchestrator

export interface RealRun extends StepResult {
  readonly rssMaxKb: number;
  readonly rssMaxLoadKb: number;
  readonly rssSamples: number;
  readonly rssReadyKb: number;
  readonly readySeconds: number;
  readonly stop: StopResult;
  readonly stderr: string;
}

export const realRun = async (): Promise<RealRun> => {
  const bed = await startIngestBed("orch", 1, suffix);
  try {
    const orchestrator = bed.orchestrators[0];
    if (orchestrator === undefined) throw new Error("no orchestrator");
    log(`load: ${fmt(rate)}/s for ${seconds} s`);
    const step = await runStep(bed, { rate, seconds, runId, fleet: makeFleet(runId, agentCount), drainCapMs, top: true, progress: true });
    const stop = await orchestrator.stop();
    const rss = orchestrator.rss();
    return {
      ...step,
      rssMaxKb: rss.maxKb,
      rssMaxLoadKb: rss.maxLoadKb,
      rssSamples: rss.samples,
      rssReadyKb: orchestrator.rssReadyKb,
      readySeconds: orchestrator.readySeconds,
      stop,
      stderr: orchestrator.output()
    };
  } finally {
    await bed.close();
  }
};
