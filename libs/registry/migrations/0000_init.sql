CREATE TABLE "agent_registry" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"agent_type" text NOT NULL,
	"pool_name" text NOT NULL,
	"status" text NOT NULL,
	"reported_status" text NOT NULL,
	"capabilities" jsonb NOT NULL,
	"resource_metrics" jsonb NOT NULL,
	"last_heartbeat_at" timestamp with time zone NOT NULL,
	"boot_id" text NOT NULL,
	"last_seq" bigint NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_registry_status_check" CHECK ("agent_registry"."status" in ('online', 'offline')),
	CONSTRAINT "agent_registry_reported_status_check" CHECK ("agent_registry"."reported_status" in ('online', 'busy', 'draining'))
);
--> statement-breakpoint
CREATE TABLE "agent_status_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "work" (
	"work_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"params" jsonb NOT NULL,
	"requirements" jsonb NOT NULL,
	"timeout_seconds" integer NOT NULL,
	"agent_id" text NOT NULL,
	"gpu_index" integer,
	"allocation" jsonb NOT NULL,
	"state" text NOT NULL,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "work_state_check" CHECK ("work"."state" in ('pending', 'dispatched', 'running', 'succeeded', 'failed', 'timed_out', 'rejected', 'lost'))
);
--> statement-breakpoint
CREATE INDEX "agent_registry_status_last_heartbeat_idx" ON "agent_registry" USING btree ("status","last_heartbeat_at");--> statement-breakpoint
CREATE INDEX "agent_status_transitions_agent_at_idx" ON "agent_status_transitions" USING btree ("agent_id","at");--> statement-breakpoint
CREATE INDEX "work_agent_state_idx" ON "work" USING btree ("agent_id","state");--> statement-breakpoint
CREATE INDEX "work_state_created_idx" ON "work" USING btree ("state","created_at");