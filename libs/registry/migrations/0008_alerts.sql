CREATE TABLE "alert_cursor" (
	"id" integer PRIMARY KEY NOT NULL,
	"last_transition_id" bigint NOT NULL,
	CONSTRAINT "alert_cursor_one_row" CHECK ("alert_cursor"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "alert_deliveries" (
	"message_id" bigint NOT NULL,
	"channel" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_status" text,
	"last_detail" text,
	"sent_at" timestamp with time zone,
	CONSTRAINT "alert_deliveries_message_id_channel_pk" PRIMARY KEY("message_id","channel"),
	CONSTRAINT "alert_deliveries_state_check" CHECK ("alert_deliveries"."state" in ('pending', 'sent', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "alert_messages" (
	"message_id" bigserial PRIMARY KEY NOT NULL,
	"alert_id" bigint NOT NULL,
	"event" text NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"alert_id" bigserial PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"summary" text NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	CONSTRAINT "alerts_state_check" CHECK ("alerts"."state" in ('open', 'closed', 'asleep', 'superseded'))
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_message_id_alert_messages_message_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."alert_messages"("message_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_messages" ADD CONSTRAINT "alert_messages_alert_id_alerts_alert_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("alert_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_deliveries_due_idx" ON "alert_deliveries" USING btree ("next_attempt_at") WHERE "alert_deliveries"."state" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_open_idx" ON "alerts" USING btree ("agent_id","kind") WHERE "alerts"."state" = 'open';--> statement-breakpoint
CREATE INDEX "alerts_agent_state_idx" ON "alerts" USING btree ("agent_id","state");--> statement-breakpoint
-- The evaluator starts after the transitions recorded before alerts existed: an upgrade alerts on nothing old.
INSERT INTO "alert_cursor" ("id", "last_transition_id") SELECT 1, coalesce(max("id"), 0) FROM "agent_status_transitions";
