ALTER TABLE "work" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "work" ADD COLUMN "dispatched_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "work" ADD COLUMN "started_at" timestamp with time zone;