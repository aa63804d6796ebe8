import { eventually } from "./childProcess.ts";
import type { RunningOrchestrator } from "./orchestratorProcess.ts";

/** A work record as GET /work/:id and POST /work answer it (the fields these tests read). */
export interface WorkView {
  readonly work_id: string;
  readonly agent_id: string;
  readonly gpu_index: number | null;
  readonly state: string;
  readonly reason: string | null;
  readonly result: {
    readonly status: string;
    readonly exit_code: number | null;
    readonly output: string;
    readonly error: string | null;
    readonly started_at: string;
    readonly finished_at: string;
    readonly output_sanitized?: boolean;
  } | null;
}

/** POST /work that must be accepted (202): the booked work. */
export const submit = async (orchestrator: RunningOrchestrator, body: unknown): Promise<WorkView> => {
  const reply = await orchestrator.post("/work", body);
  if (reply.status !== 202) throw new Error(`POST /work answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body as WorkView;
};

export const workView = async (orchestrator: RunningOrchestrator, id: string): Promise<WorkView> => (await orchestrator.get(`/work/${id}`)).body as WorkView;

const FINAL = ["succeeded", "failed", "timed_out", "rejected", "lost", "cancelled", "expired"];

/** Waits until the work has a final state, and returns it. */
export const finished = (orchestrator: RunningOrchestrator, id: string, timeoutMs = 15_000) =>
  eventually(`work ${id} finished`, () => workView(orchestrator, id), (w) => FINAL.includes(w.state), timeoutMs);
