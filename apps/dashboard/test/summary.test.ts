import { decodeFrame } from "../src/api/decodeEvents.ts";
import { applyEvent, emptyFleet } from "../src/state/fleetState.ts";
import { summarize } from "../src/state/summary.ts";
import { agentJson, frame, gpuJson, metricsJson, snapshotJson, workJson } from "./fixtures.ts";

describe("header summary", () => {
  test("counts online agents, their GPUs, their free VRAM after bookings, and the queue", () => {
    const twoGpus = metricsJson({ gpus: [gpuJson({ index: 0, vram_total_gb: 24, vram_used_gb: 6, vram_available_gb: 18 }), gpuJson({ index: 1, vram_total_gb: 12, vram_used_gb: 2, vram_available_gb: 10 })] });
    const meaning = decodeFrame(
      frame(
        "snapshot",
        snapshotJson({
          agents: [agentJson("a1", { resource_metrics: twoGpus }), agentJson("off", { status: "offline" })],
          bookings: [{ agent_id: "a1", gpu_index: 1, vram_gb: 4 }],
          work: { active: [], queued: [{ ...workJson("q", { state: "queued" }), position: 1 }], finished: [] }
        })
      )
    );
    if (meaning.kind !== "event") throw new Error("bad fixture");
    const s = summarize(applyEvent(emptyFleet, meaning.event));
    // a1: GPU0 18 available; GPU1 10 available − 4 booked = 6. The offline agent's GPU does not count.
    expect(s).toEqual({ online: 1, total: 2, gpus: 2, freeVramGb: 24, queued: 1 });
  });

  test("counts the whole queue when the server says how long it is, beyond the head it sends, and follows work events", () => {
    const head = Array.from({ length: 3 }, (_, i) => ({ ...workJson(`q${i}`, { state: "queued" }), position: i + 1 }));
    const snapshot = decodeFrame(frame("snapshot", { ...snapshotJson({ work: { active: [], queued: head, finished: [] } }), queued_total: 250 }));
    const later = decodeFrame(frame("work", { now: "2026-12-06T10:00:00.000Z", work: [], queued: head.slice(1), bookings: [], queued_total: 249 }));
    if (snapshot.kind !== "event" || later.kind !== "event") throw new Error("bad fixture");
    const first = applyEvent(emptyFleet, snapshot.event);
    expect(summarize(first).queued).toBe(250);
    expect(summarize(applyEvent(first, later.event)).queued).toBe(249);
  });

  test("an empty fleet sums to zero", () => {
    expect(summarize(emptyFleet)).toEqual({ online: 0, total: 0, gpus: 0, freeVramGb: 0, queued: 0 });
  });
});
