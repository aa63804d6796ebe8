ALTER TABLE "agent_registry" ADD COLUMN "best_gpu_vram_gb" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "cores_available" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "memory_available_gb" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "gpu_type" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
CREATE INDEX "agent_registry_route_vram_idx" ON "agent_registry" USING btree ("best_gpu_vram_gb" DESC NULLS LAST) WHERE "agent_registry"."status" = 'online';--> statement-breakpoint
-- Agents registered before this migration: their figures from the metrics they
-- last reported (from now on applyHeartbeats writes them with every heartbeat).
UPDATE "agent_registry" SET
  "best_gpu_vram_gb" = coalesce((SELECT max((g ->> 'vram_available_gb')::double precision)
                                 FROM jsonb_array_elements(coalesce("resource_metrics" -> 'gpus', '[]'::jsonb)) g), 0),
  "cores_available" = coalesce(("resource_metrics" ->> 'cpu_cores_available')::double precision, 0),
  "memory_available_gb" = coalesce(("resource_metrics" ->> 'memory_available_gb')::double precision, 0),
  "gpu_type" = coalesce("resource_metrics" ->> 'gpu_type', 'none');
