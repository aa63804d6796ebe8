ALTER TABLE "work" DROP CONSTRAINT "work_state_check";--> statement-breakpoint
ALTER TABLE "work" ALTER COLUMN "agent_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "max_concurrent_work" integer;--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "task_requires" jsonb;--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "drained" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_registry" ADD COLUMN "last_given_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "work" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "work" ADD COLUMN "submit_order" bigserial NOT NULL;--> statement-breakpoint
ALTER TABLE "work" ADD COLUMN "queue_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "work" ADD COLUMN "late_result" jsonb;--> statement-breakpoint
CREATE INDEX "work_queue_idx" ON "work" USING btree ("priority" DESC NULLS LAST,"submit_order") WHERE "work"."state" = 'queued';--> statement-breakpoint
ALTER TABLE "work" ADD CONSTRAINT "work_state_check" CHECK ("work"."state" in ('queued', 'pending', 'dispatched', 'running', 'succeeded', 'failed', 'timed_out', 'rejected', 'lost', 'cancelled', 'expired'));