CREATE TABLE "agent_history" (
	"agent_id" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"cpu_load_1min" double precision NOT NULL,
	"cpu_cores_total" double precision NOT NULL,
	"memory_total_gb" double precision NOT NULL,
	"memory_available_gb" double precision NOT NULL,
	"gpus" jsonb NOT NULL,
	CONSTRAINT "agent_history_agent_id_minute_pk" PRIMARY KEY("agent_id","minute")
);
--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "offline_reason" text;--> statement-breakpoint
CREATE INDEX "agent_history_minute_idx" ON "agent_history" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "work_updated_idx" ON "work" USING btree ("updated_at");