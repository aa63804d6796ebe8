import { useState } from "preact/hooks";
import { decodeWork } from "../api/decodeWork.ts";
import { GPU_TYPES, type GpuType } from "../api/types.ts";
import { useLive } from "../ui/hooks.ts";
import { buildSubmission, describeSubmitted, type ParamRow, type SubmitInputs } from "./submission.ts";

interface Props {
  readonly kinds: ReadonlyArray<string>;
  /** Opens the detail of the job just submitted. */
  readonly onSubmitted: (workId: string) => void;
}

let nextRowId = 1;
const blankRow = (): ParamRow => ({ id: nextRowId++, name: "", value: "" });
const gpuTypeOf = (value: string): GpuType | "" => GPU_TYPES.find((t) => t === value) ?? "";

/** `POST /work`: kind, params as name/value rows, optional requirements and timeout. */
export const SubmitForm = ({ kinds, onSubmitted }: Props) => {
  const { api } = useLive();
  const [inputs, setInputs] = useState<SubmitInputs>({
    kind: "",
    params: [blankRow()],
    minVramGb: "",
    minCores: "",
    minMemoryGb: "",
    gpuType: "",
    timeoutSeconds: ""
  });
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<{ readonly ok: boolean; readonly text: string } | null>(null);
  const set = (change: Partial<SubmitInputs>): void => setInputs({ ...inputs, ...change });
  const setRow = (id: number, change: Partial<ParamRow>): void =>
    set({ params: inputs.params.map((r) => (r.id === id ? { ...r, ...change } : r)) });
  // The kind select starts on the first kind offered (kinds arrive with the first snapshot).
  const kind = inputs.kind !== "" && kinds.includes(inputs.kind) ? inputs.kind : (kinds[0] ?? "");

  const submit = async (): Promise<void> => {
    const built = buildSubmission({ ...inputs, kind });
    if (!built.ok) return setOutcome({ ok: false, text: built.error });
    setPending(true);
    setOutcome(null);
    const result = await api.request("POST", "/work", decodeWork, built.body);
    setPending(false);
    if (!result.ok) return setOutcome({ ok: false, text: result.message });
    setOutcome({ ok: true, text: describeSubmitted(result.value) });
    onSubmitted(result.value.work_id);
  };

  const numberField = (id: string, label: string, key: "minVramGb" | "minCores" | "minMemoryGb" | "timeoutSeconds") => (
    <label for={id}>
      {label}
      <input id={id} type="number" min="0" step="any" inputMode="decimal" value={inputs[key]} onInput={(e) => set({ [key]: e.currentTarget.value })} />
    </label>
  );

  return (
    <form
      class="submit-form"
      aria-labelledby="submit-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id="submit-title">Submit work</h3>
      <label for="submit-kind">
        kind
        <select id="submit-kind" value={kind} onChange={(e) => set({ kind: e.currentTarget.value })} data-testid="submit-kind">
          {kinds.length === 0 ? <option value="">no agent advertises a kind</option> : null}
          {kinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>params</legend>
        {inputs.params.map((row, i) => (
          <div class="param-row" key={row.id} data-testid="param-row">
            <label for={`param-name-${row.id}`}>
              name {i + 1}
              <input id={`param-name-${row.id}`} value={row.name} onInput={(e) => setRow(row.id, { name: e.currentTarget.value })} />
            </label>
            <label for={`param-value-${row.id}`}>
              value {i + 1}
              <input id={`param-value-${row.id}`} value={row.value} onInput={(e) => setRow(row.id, { value: e.currentTarget.value })} />
            </label>
            <button type="button" aria-label={`remove param ${i + 1}`} onClick={() => set({ params: inputs.params.filter((r) => r.id !== row.id) })}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" data-testid="add-param" onClick={() => set({ params: [...inputs.params, blankRow()] })}>
          Add param
        </button>
      </fieldset>
      <fieldset>
        <legend>requirements (optional)</legend>
        {numberField("submit-vram", "min VRAM GB (one GPU)", "minVramGb")}
        {numberField("submit-cores", "min cores", "minCores")}
        {numberField("submit-memory", "min memory GB", "minMemoryGb")}
        <label for="submit-gpu-type">
          GPU type
          <select id="submit-gpu-type" value={inputs.gpuType} onChange={(e) => set({ gpuType: gpuTypeOf(e.currentTarget.value) })}>
            <option value="">any</option>
            {GPU_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {numberField("submit-timeout", "timeout seconds (optional)", "timeoutSeconds")}
      <div class="actions">
        <button type="submit" data-testid="submit-work" disabled={pending || kind === ""}>
          Submit
        </button>
        {outcome === null ? null : (
          <span class={outcome.ok ? "ok" : "error"} role={outcome.ok ? "status" : "alert"} data-testid={outcome.ok ? "submit-result" : "submit-error"}>
            {outcome.text}
          </span>
        )}
      </div>
    </form>
  );
};
