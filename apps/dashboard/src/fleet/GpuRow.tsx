import type { Gpu } from "../api/types.ts";
import { formatGb, formatPercent, formatTemperature } from "../format.ts";
import { vramSplit } from "./vramSplit.ts";

// Few DOM nodes per figure: 500 agents × several GPUs × four figures add up on the first render.
const Figure = ({ testid, label, gb }: { readonly testid: string; readonly label: string; readonly gb: number }) => (
  <span class="figure">
    {`${label} `}
    <b data-testid={testid} data-value={gb}>
      {formatGb(gb)}
    </b>
  </span>
);

/** One GPU: name, load, temperature, and VRAM as a used / booked / free bar with its figures in text. */
export const GpuRow = ({ gpu, bookedGb }: { readonly gpu: Gpu; readonly bookedGb: number }) => {
  const split = vramSplit(gpu, bookedGb);
  const reserved = split.reserved > 0 ? `, ${formatGb(split.reserved)} reserved` : "";
  const summary = `VRAM: ${formatGb(split.used)} used, ${formatGb(split.booked)} booked, ${formatGb(split.free)} free${reserved} of ${formatGb(split.total)}`;
  return (
    <li class="gpu" data-gpu-index={gpu.index}>
      <div class="gpu-head">
        <span class="gpu-name" data-testid="gpu-name">
          {`GPU ${gpu.index}: ${gpu.name}`}
        </span>
        <span class="gpu-stats">
          <span data-testid="gpu-util" data-value={gpu.utilization_percent ?? ""}>
            {`load ${formatPercent(gpu.utilization_percent)}`}
          </span>
          <span data-testid="gpu-temp" data-value={gpu.temperature_c ?? ""}>
            {formatTemperature(gpu.temperature_c)}
          </span>
        </span>
      </div>
      <div class="vram-bar" role="img" aria-label={summary} title={summary}>
        <span class="seg seg-used" style={{ width: `${split.usedPct}%` }} />
        <span class="seg seg-booked" style={{ width: `${split.bookedPct}%` }} />
        <span class="seg seg-free" style={{ width: `${split.freePct}%` }} />
        {split.reserved > 0 ? <span class="seg seg-reserved" style={{ width: `${split.reservedPct}%` }} /> : null}
      </div>
      <div class="vram-figures">
        {/* used and total exactly as reported; booked, free and reserved as derived for the bar */}
        <Figure testid="vram-used" label="used" gb={gpu.vram_used_gb} />
        <Figure testid="vram-booked" label="booked" gb={split.booked} />
        <Figure testid="vram-free" label="free" gb={split.free} />
        <Figure testid="vram-total" label="total" gb={gpu.vram_total_gb} />
        {split.reserved > 0 ? <Figure testid="vram-reserved" label="reserved" gb={split.reserved} /> : null}
      </div>
    </li>
  );
};
