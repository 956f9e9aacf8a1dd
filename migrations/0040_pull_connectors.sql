CREATE TABLE "connector_sources" (
	"connector_id" text PRIMARY KEY NOT NULL,
	"engine" text NOT NULL,
	"host" text NOT NULL,
	"database" text NOT NULL,
	"query" text NOT NULL,
	"sealed_url" text NOT NULL,
	"schedule" text,
	"schedule_claimed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connector_sources" ADD CONSTRAINT "connector_sources_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- The digest of a sync's rows (a pull connector's snapshot): a sync whose rows have the digest of
-- the active snapshot's ends `unchanged` instead of loading the same data again.
ALTER TABLE "snapshots" ADD COLUMN "digest" bytea;
