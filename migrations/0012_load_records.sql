CREATE TABLE "snapshot_rejects" (
	"snapshot_id" bigint NOT NULL,
	"line" bigint NOT NULL,
	"field" text NOT NULL,
	"code" text NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "subject_column" text;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "rejected_by_code" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "unreadable_subjects" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "unlinkable_rows" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "snapshot_rejects" ADD CONSTRAINT "snapshot_rejects_snapshot_id_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "snapshot_rejects_snapshot_idx" ON "snapshot_rejects" USING btree ("snapshot_id","line");
--> statement-breakpoint
-- Load records of attempts made before this migration: when they ended, and the abandoned ones by name.
UPDATE "snapshots" SET "finished_at" = coalesce("loaded_at", "heartbeat_at") WHERE "status" <> 'loading';--> statement-breakpoint
UPDATE "snapshots" SET "status" = 'abandoned' WHERE "status" = 'failed' AND "error" = 'ABANDONED';
