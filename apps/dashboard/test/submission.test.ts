import { decodeWork } from "../src/api/decodeWork.ts";
import { decode } from "../src/api/decodeKit.ts";
import { buildSubmission, describeSubmitted, type SubmitInputs } from "../src/work/submission.ts";
import { workJson } from "./fixtures.ts";

const form = (over: Partial<SubmitInputs> = {}): SubmitInputs => ({
  kind: "shell",
  params: [],
  minVramGb: "",
  minCores: "",
  minMemoryGb: "",
  gpuType: "",
  timeoutSeconds: "",
  ...over
});

describe("submitting work", () => {
  test("a bare form sends the kind and empty params, without requirements or timeout", () => {
    expect(buildSubmission(form())).toEqual({ ok: true, body: { kind: "shell", params: {} } });
  });

  test("param rows become the params object; blank rows are skipped", () => {
    const built = buildSubmission(form({ params: [{ id: 1, name: " cmd ", value: "echo hi" }, { id: 2, name: "", value: "" }, { id: 3, name: "n", value: "" }] }));
    expect(built).toEqual({ ok: true, body: { kind: "shell", params: { cmd: "echo hi", n: "" } } });
  });

  test("a value without a name, or the same name twice, is refused", () => {
    expect(buildSubmission(form({ params: [{ id: 1, name: "", value: "x" }] }))).toEqual({ ok: false, error: 'parameter with value "x" has no name' });
    expect(buildSubmission(form({ params: [{ id: 1, name: "a", value: "1" }, { id: 2, name: "a", value: "2" }] }))).toEqual({ ok: false, error: 'parameter "a" is given twice' });
  });

  test("filled requirements and the timeout are sent as numbers", () => {
    expect(buildSubmission(form({ minVramGb: "16", minCores: "4", minMemoryGb: "8.5", gpuType: "nvidia", timeoutSeconds: "600" }))).toEqual({
      ok: true,
      body: { kind: "shell", params: {}, requirements: { min_vram_gb: 16, min_cores: 4, min_memory_gb: 8.5, gpu_type: "nvidia" }, timeout_seconds: 600 }
    });
  });

  test("no kind, a negative requirement or a fractional timeout is refused", () => {
    expect(buildSubmission(form({ kind: " " }))).toEqual({ ok: false, error: "choose a kind" });
    expect(buildSubmission(form({ minCores: "-2" }))).toEqual({ ok: false, error: "min cores: enter a number of 0 or more" });
    expect(buildSubmission(form({ timeoutSeconds: "1.5" })).ok).toBe(false);
    expect(buildSubmission(form({ timeoutSeconds: "0" })).ok).toBe(false);
  });

  test("a 202 reads 'dispatched to <agent>', or 'queued: <reason>' when it waits", () => {
    const dispatched = decode(decodeWork, workJson("w", { state: "dispatched", agent_id: "gaming-pc" }));
    const queued = decode(decodeWork, { ...workJson("w", { state: "queued", agent_id: null }), waiting_reason: "no agent has 16 GB free" });
    if (!dispatched.ok || !queued.ok) throw new Error("bad fixture");
    expect(describeSubmitted(dispatched.value)).toBe("dispatched to gaming-pc");
    expect(describeSubmitted(queued.value)).toBe("queued: no agent has 16 GB free");
  });
});
