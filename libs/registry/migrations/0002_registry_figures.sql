-- Free VRAM of an agent's best single GPU (SPEC §5: requirements are per GPU),
-- 0 with none. IMMUTABLE: it reads only its argument, so a stored generated
-- column (next migration) can use it.
CREATE OR REPLACE FUNCTION registry_best_gpu_vram(metrics jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(max((g ->> 'vram_available_gb')::double precision), 0)
  FROM jsonb_array_elements(coalesce(metrics -> 'gpus', '[]'::jsonb)) g
$$;
