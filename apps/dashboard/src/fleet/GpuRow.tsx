import type { Gpu } from "../api/types.ts";
import { formatGb, formatPercent, formatTemperature } from "../format.ts";
import { barBackground } from "./vramBar.ts";
import { vramSplit } from "./vramSplit.ts";

/**
 * One GPU: name, load, temperature, and VRAM as a used / booked / free
 * (/ reserved) bar with its figures in one line of text. Six elements: 500
 * agents' cards are built at once on the first render, where every element
 * costs (the figures are data attributes on the row, for tests and tools,
 * not an element each; the bar is one element painted with a gradient).
 */
export const GpuRow = ({ gpu, bookedGb }: { readonly gpu: Gpu; readonly bookedGb: number }) => {
  const split = vramSplit(gpu, bookedGb);
  const reserved = split.reserved > 0 ? `, ${formatGb(split.reserved)} reserved` : "";
  const summary = `VRAM: ${formatGb(split.used)} used, ${formatGb(split.booked)} booked, ${formatGb(split.free)} free${reserved} of ${formatGb(split.total)}`;
  return (
    <li
      class="gpu"
      data-gpu-index={gpu.index}
      data-vram-used={gpu.vram_used_gb}
      data-vram-booked={split.booked}
      data-vram-free={split.free}
      data-vram-reserved={split.reserved}
      data-vram-total={gpu.vram_total_gb}
      data-util={gpu.utilization_percent ?? ""}
      data-temp={gpu.temperature_c ?? ""}
    >
      <div class="gpu-head">
        <b class="gpu-name" data-testid="gpu-name">{`GPU ${gpu.index}: ${gpu.name}`}</b>
        <span class="gpu-stats">{`load ${formatPercent(gpu.utilization_percent)} · ${formatTemperature(gpu.temperature_c)}`}</span>
      </div>
      <div class="vram-bar" role="img" aria-label={summary} title={summary} style={{ background: barBackground(split) }} />
      <p class="vram-figures">
        {`used ${formatGb(gpu.vram_used_gb)} · booked ${formatGb(split.booked)} · free ${formatGb(split.free)}${split.reserved > 0 ? ` · reserved ${formatGb(split.reserved)}` : ""} · total ${formatGb(gpu.vram_total_gb)}`}
      </p>
    </li>
  );
};
