-- Records of every connector, partitioned by snapshot. A load writes a standalone table
-- records_s<snapshot id>, indexes it, and attaches it as a partition in the transaction that makes
-- the snapshot active (src/connectors/records.ts). Only keyed hashes and declared attributes.
CREATE TABLE "records" (
	"snapshot_id" bigint NOT NULL,
	"subject_hash" bytea NOT NULL,
	"key_version" smallint NOT NULL,
	"attrs" jsonb NOT NULL
) PARTITION BY LIST ("snapshot_id");
--> statement-breakpoint
CREATE INDEX "records_subject_idx" ON "records" ("subject_hash");
--> statement-breakpoint
-- The audit log is append-only (design §8): UPDATE, DELETE and TRUNCATE are refused for every
-- role. A superuser can still disable the trigger; the Merkle tree and signed checkpoints are
-- what make that detectable.
CREATE FUNCTION "shifou_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit tables are append-only: % on %', TG_OP, TG_TABLE_NAME USING ERRCODE = '42501';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_entries_append_only" BEFORE UPDATE OR DELETE ON "audit_entries"
	FOR EACH ROW EXECUTE FUNCTION "shifou_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_entries_no_truncate" BEFORE TRUNCATE ON "audit_entries"
	FOR EACH STATEMENT EXECUTE FUNCTION "shifou_append_only"();
