/**
 * One GPU as a parser read it from a tool's output. Field names are the wire
 * names of SPEC §2 (`resources.gpus[]`), so no mapping happens later.
 * `null` means the tool did not report the value (a placeholder such as
 * `[N/A]` or a missing element) — never 0.
 */
export interface GpuReading {
  readonly index: number
  readonly uuid: string | null
  readonly name: string
  readonly vram_total_gb: number | null
  readonly vram_used_gb: number | null
  readonly vram_available_gb: number | null
  readonly utilization_percent: number | null
  readonly temperature_c: number | null
}
