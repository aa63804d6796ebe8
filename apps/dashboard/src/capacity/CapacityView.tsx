import { useMemo, useState } from "preact/hooks";
import { formatCount, formatGb } from "../format.ts";
import { useLive, useStoreValue } from "../ui/hooks.ts";
import { bestFit, gpuFits } from "./bestFit.ts";
import { type CapacityAnswer, type CapacityInputs, capacityRequest, decodeCapacityAnswer } from "./capacityQuery.ts";

interface Found {
  readonly answer: CapacityAnswer;
  readonly minVramGb: number | null;
}

const NumberInput = (props: { readonly id: string; readonly label: string; readonly value: string; readonly onInput: (v: string) => void }) => (
  <label for={props.id}>
    {props.label}
    <input
      id={props.id}
      type="number"
      min="0"
      step="any"
      inputMode="decimal"
      value={props.value}
      onInput={(e) => props.onInput(e.currentTarget.value)}
    />
  </label>
);

/** Which agents have room for a job now (`GET /capacity`), and which single GPU fits it best. */
export const CapacityView = () => {
  const live = useLive();
  const state = useStoreValue(live.fleet);
  const [inputs, setInputs] = useState<CapacityInputs>({ vram: "", cores: "", memory: "" });
  const [found, setFound] = useState<Found | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const find = async (): Promise<void> => {
    const request = capacityRequest(inputs);
    if (!request.ok) return setError(request.error);
    setPending(true);
    setError(null);
    const result = await live.api.request("GET", request.path, decodeCapacityAnswer);
    setPending(false);
    if (!result.ok) return setError(result.message);
    setFound({ answer: result.value, minVramGb: request.minVramGb });
    if (result.value.problems.length > 0) live.notify(`capacity: ignored a malformed agent: ${result.value.problems[0] ?? ""}`);
  };

  const fits = useMemo(
    () => (found === null ? [] : gpuFits(found.answer.agents.map((a) => a.agent_id), state.agents, state.bookingsByAgent)),
    [found, state.agents, state.bookingsByAgent]
  );
  // Without a VRAM figure there is nothing to fit on a GPU.
  const best = found === null || found.minVramGb === null ? null : bestFit(fits, found.minVramGb);

  return (
    <>
      <form
        class="finder"
        // Our own messages (role=alert) instead of the browser's bubbles, the same in every browser.
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void find();
        }}
      >
        <NumberInput id="cap-vram" label="VRAM GB on one GPU" value={inputs.vram} onInput={(vram) => setInputs({ ...inputs, vram })} />
        <NumberInput id="cap-cores" label="cores" value={inputs.cores} onInput={(cores) => setInputs({ ...inputs, cores })} />
        <NumberInput id="cap-memory" label="memory GB" value={inputs.memory} onInput={(memory) => setInputs({ ...inputs, memory })} />
        <button type="submit" data-testid="capacity-find" disabled={pending}>
          Find
        </button>
      </form>
      {error === null ? null : (
        <p class="error" role="alert" data-testid="capacity-error">
          {error}
        </p>
      )}
      {found === null ? null : found.answer.agents.length === 0 ? (
        <p data-testid="capacity-empty">No online agent has that much room now.</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="capacity-results">
            <thead>
              <tr>
                <th scope="col">agent</th>
                <th scope="col">pool</th>
                <th scope="col">best GPU free</th>
                <th scope="col">cores free</th>
                <th scope="col">memory free</th>
                <th scope="col">booked</th>
                <th scope="col">GPUs free now</th>
              </tr>
            </thead>
            <tbody>
              {found.answer.agents.map((a) => {
                const isBest = best !== null && best.agent_id === a.agent_id;
                return (
                  <tr key={a.agent_id} data-agent-id={a.agent_id} class={isBest ? "best-fit" : undefined} data-best-fit={isBest ? "true" : undefined}>
                    <th scope="row">
                      {a.agent_id}
                      {a.draining ? <span class="tag"> draining</span> : null}
                    </th>
                    <td>{a.pool_name}</td>
                    <td data-testid="best-gpu-free" data-value={a.best_gpu_vram_available_gb}>
                      {formatGb(a.best_gpu_vram_available_gb)}
                    </td>
                    <td data-testid="cores-free" data-value={a.cores_available}>
                      {formatCount(a.cores_available)}
                    </td>
                    <td data-testid="memory-free" data-value={a.memory_available_gb}>
                      {formatGb(a.memory_available_gb)}
                    </td>
                    <td data-testid="booked" data-value={a.booked.vram_gb}>
                      {formatGb(a.booked.vram_gb)} VRAM, {formatCount(a.booked.cores)} cores, {formatGb(a.booked.memory_gb)} memory
                    </td>
                    <td>
                      <ul class="gpu-fits">
                        {fits
                          .filter((f) => f.agent_id === a.agent_id)
                          .map((f) => {
                            const bestGpu = isBest && best.gpu_index === f.gpu_index;
                            return (
                              <li key={f.gpu_index} data-gpu-index={f.gpu_index} class={bestGpu ? "best-fit" : undefined}>
                                GPU {f.gpu_index}:{" "}
                                <span data-testid="gpu-free" data-value={f.free_gb}>
                                  {formatGb(f.free_gb)}
                                </span>
                                {bestGpu ? (
                                  <strong class="best-fit-label" data-testid="best-fit">
                                    {" "}
                                    best fit
                                  </strong>
                                ) : null}
                              </li>
                            );
                          })}
                      </ul>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
};
