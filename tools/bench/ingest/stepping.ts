// d. The highest sustained rate: the generator's rate stepped against N orchestrators until a step fails.
import { makeFleet, newRunId } from "../../loadgen/agents.ts";
import { checkAbort, fmt, log } from "../support.ts";
import { agentCount, suffix } from "./settings.ts";
import { startIngestBed } from "./orchestrators.ts";
import { runStep, stepFailures, type StepResult } from "./loadStep.ts";

export interface RatedStep {
  readonly step: StepResult;
  /** Empty when the step was sustained. */
  readonly failures: ReadonlyArray<string>;
}

export interface StepSeries {
  readonly orchestrators: number;
  readonly startRate: number;
  /** In the order they ran. */
  readonly steps: ReadonlyArray<RatedStep>;
  /** The sustained step with the highest rate; undefined if none was. */
  readonly highest: StepResult | undefined;
}

/** Each step asks for this much more than the last sustained one. */
export const STEP_UP = 1.2;
const MAX_UP = 8;
const WARM_UP_SECONDS = 5;
const MAX_DOWN = 4;
const roundRate = (r: number) => Math.max(100, Math.round(r / 100) * 100);

/**
 * Steps up from `startRate` by STEP_UP until a step fails, then tries once
 * halfway (geometrically) between the last sustained rate and the failed
 * one; if the first step already fails, steps down instead until one is
 * sustained. A short warm-up at half the start rate comes first. One fresh database, reply queue and set of orchestrators for the
 * series; the same simulated agents throughout (their seqs go on). A step
 * whose queue did not drain ends the series: the next would start behind.
 */
export const findSustained = async (count: number, startRate: number, seconds: number): Promise<StepSeries> => {
  const bed = await startIngestBed(`step${count}`, count, suffix);
  const steps: Array<RatedStep> = [];
  try {
    const runId = newRunId();
    const fleet = makeFleet(runId, agentCount);
    const drainCapMs = Math.max(60, 3 * seconds) * 1000;
    const tryRate = async (rate: number): Promise<RatedStep> => {
      checkAbort();
      log(`d. ${count} orchestrator${count > 1 ? "s" : ""}: ${fmt(rate)}/s for ${seconds} s`);
      const step = await runStep(bed, { rate, seconds, runId, fleet, drainCapMs });
      const rated = { step, failures: stepFailures(step) };
      steps.push(rated);
      log(`   ${fmt(step.sustainedRate)}/s processed, p99 ≤ ${fmt(step.commitP99 * 1000)} ms: ` +
        (rated.failures.length === 0 ? "sustained" : `FAIL (${rated.failures.join("; ")})`));
      return rated;
    };
    // Warm-up, not rated: JIT, connection pools and the agents' first rows, so the first step is not the only cold one.
    const warmRate = roundRate(startRate / 2);
    log(`d. ${count} orchestrator${count > 1 ? "s" : ""}: warm-up, ${fmt(warmRate)}/s for ${WARM_UP_SECONDS} s (not rated)`);
    await runStep(bed, { rate: warmRate, seconds: WARM_UP_SECONDS, runId, fleet, drainCapMs });
    const first = await tryRate(roundRate(startRate));
    if (first.failures.length === 0) {
      let passed = first.step.rate;
      for (let i = 0; i < MAX_UP; i++) {
        const next = await tryRate(roundRate(passed * STEP_UP));
        if (next.failures.length === 0) {
          passed = next.step.rate;
          continue;
        }
        const between = roundRate(Math.sqrt(passed * next.step.rate));
        if (next.step.drained && between > passed && between < next.step.rate) await tryRate(between);
        break;
      }
    } else {
      let failed = first;
      for (let i = 0; i < MAX_DOWN && failed.step.drained; i++) {
        const next = await tryRate(roundRate(failed.step.rate / STEP_UP));
        if (next.failures.length === 0) break;
        failed = next;
      }
    }
  } finally {
    await bed.close();
  }
  const sustained = steps.filter((s) => s.failures.length === 0).map((s) => s.step);
  const highest = sustained.reduce<StepResult | undefined>((best, s) => (best === undefined || s.rate > best.rate ? s : best), undefined);
  return { orchestrators: count, startRate, steps, highest };
};
