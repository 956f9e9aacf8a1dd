-- Connectors' freshness and per-connector key rotation (design §14.2).
-- max_age_days: questions over a connector whose active snapshot is older are refused (503 CONNECTOR_STALE).
ALTER TABLE "connectors" ADD COLUMN "max_age_days" integer;--> statement-breakpoint
-- key_version: the connector's key version new loads hash under, once its keys have been rotated
-- (null: never rotated; loads use the newest master key version, as before rotation existed).
ALTER TABLE "connectors" ADD COLUMN "key_version" smallint;--> statement-breakpoint
-- One row per key version made by a rotation: which master key version it derives from. A
-- snapshot's key version without a row here is a master key version (the derivation before rotation).
CREATE TABLE "connector_keys" (
	"connector_id" text NOT NULL REFERENCES "connectors"("id"),
	"version" smallint NOT NULL,
	"master_version" smallint NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connector_keys_pk" PRIMARY KEY ("connector_id", "version")
);
