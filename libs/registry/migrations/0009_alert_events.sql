CREATE TABLE "alert_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"agent_id" text,
	"subject" text DEFAULT '' NOT NULL,
	"data" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_gpus" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"boot_id" text NOT NULL,
	"uuids" jsonb NOT NULL,
	"errors_since" timestamp with time zone
);
--> statement-breakpoint
DROP INDEX "alerts_one_open_idx";--> statement-breakpoint
ALTER TABLE "alert_cursor" ADD COLUMN "last_event_id" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "subject" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_open_subject_idx" ON "alerts" USING btree ("agent_id","kind","subject") WHERE "alerts"."state" = 'open';--> statement-breakpoint
CREATE INDEX "alerts_kind_subject_idx" ON "alerts" USING btree ("kind","subject");--> statement-breakpoint
-- A job that ends failed, lost or timed_out writes an alert event in the same transaction (issue #17).
CREATE FUNCTION "alert_work_ended"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "alert_events" ("kind", "agent_id", "subject", "data")
  VALUES ('work_ended', NEW."agent_id", NEW."work_id"::text, jsonb_build_object(
    'work_id', NEW."work_id", 'kind', NEW."kind", 'state', NEW."state", 'reason', NEW."reason",
    'exit_code', NEW."result" -> 'exit_code', 'error', NEW."result" ->> 'error'));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "work_ended_alert" AFTER UPDATE OF "state" ON "work" FOR EACH ROW
  WHEN (NEW."state" IN ('failed', 'lost', 'timed_out') AND OLD."state" IS DISTINCT FROM NEW."state")
  EXECUTE FUNCTION "alert_work_ended"();
