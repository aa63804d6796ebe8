import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Effect } from "effect";
import type { CommandRunner } from "@homelab/process";
import type { MetricsSettings } from "../MetricsConfig.ts";
import { GpuSourceError, toSourceError } from "./GpuBackend.ts";
import { runTool } from "./runTool.ts";
import type { GpuReading } from "./GpuReading.ts";
import { parseRocmSmiJson, readingsFromAmdgpuSysfs } from "./parsers/rocmSmi.ts";

export const ROCM_SMI_ARGS = [
  "--showmeminfo",
  "vram",
  "--showuse",
  "--showtemp",
  "--showproductname",
  "--showuniqueid",
  "--json"
] as const;

const readRocmSmi = (settings: MetricsSettings) =>
  runTool(settings, "rocm-smi", ROCM_SMI_ARGS).pipe(
    Effect.flatMap((out) => Effect.fromResult(parseRocmSmiJson(out.stdout))),
    Effect.mapError(toSourceError("amd"))
  );

const readText = (file: string): Promise<string | null> =>
  readFile(file, "utf8").then(
    (text) => text.trim(),
    () => null
  );

/**
 * amdgpu's sysfs files, for machines without ROCm: every `cardN` under the DRM
 * class directory that has `device/mem_info_vram_total` is an AMD GPU.
 */
export const readAmdgpuSysfs = (drmClassDir: string): Effect.Effect<ReadonlyArray<GpuReading>, GpuSourceError> =>
  Effect.tryPromise({
    try: async () => {
      const entries = await readdir(drmClassDir);
      const cards = entries.filter((e) => /^card\d+$/.test(e));
      const found = await Promise.all(
        cards.map(async (card) => {
          const device = path.join(drmClassDir, card, "device");
          const total = await readText(path.join(device, "mem_info_vram_total"));
          if (total === null) return null;
          return {
            index: Number(card.slice(4)),
            vram_total_bytes: total,
            vram_used_bytes: await readText(path.join(device, "mem_info_vram_used")),
            name: await readText(path.join(device, "product_name"))
          };
        })
      );
      return found.filter((c) => c !== null).sort((a, b) => a.index - b.index);
    },
    catch: (cause) =>
      new GpuSourceError({
        backend: "amd",
        missing: true,
        message: `cannot read ${drmClassDir}: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  }).pipe(
    Effect.flatMap((cards) =>
      cards.length === 0
        ? Effect.fail(
            new GpuSourceError({ backend: "amd", missing: true, message: `no amdgpu card under ${drmClassDir}` })
          )
        : Effect.succeed(readingsFromAmdgpuSysfs(cards))
    )
  );

/** rocm-smi first; when it is missing or fails, amdgpu's sysfs files. */
export const readAmd = (settings: MetricsSettings): Effect.Effect<ReadonlyArray<GpuReading>, GpuSourceError, CommandRunner> =>
  readRocmSmi(settings).pipe(
    Effect.catch((rocm) =>
      readAmdgpuSysfs(settings.drmClassDir).pipe(
        Effect.mapError(
          (sysfs) =>
            new GpuSourceError({
              backend: "amd",
              missing: rocm.missing && sysfs.missing,
              message: `${rocm.message}; sysfs fallback: ${sysfs.message}`
            })
        )
      )
    )
  );
