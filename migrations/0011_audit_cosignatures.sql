CREATE TABLE "audit_cosignatures" (
	"size" bigint NOT NULL,
	"witness" text NOT NULL,
	"key_id" text NOT NULL,
	"root" "bytea" NOT NULL,
	"signature" text NOT NULL,
	"cosigned_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_cosignatures_size_witness_key_id_pk" PRIMARY KEY("size","witness","key_id")
);
--> statement-breakpoint
-- Append-only like the other audit tables (migration 0001): a cosignature, once stored, is evidence.
CREATE TRIGGER "audit_cosignatures_append_only" BEFORE UPDATE OR DELETE ON "audit_cosignatures"
	FOR EACH ROW EXECUTE FUNCTION "shifou_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_cosignatures_no_truncate" BEFORE TRUNCATE ON "audit_cosignatures"
	FOR EACH STATEMENT EXECUTE FUNCTION "shifou_append_only"();
