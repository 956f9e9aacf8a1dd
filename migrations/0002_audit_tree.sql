CREATE TABLE "audit_checkpoints" (
	"size" bigint PRIMARY KEY NOT NULL,
	"root" "bytea" NOT NULL,
	"note" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_nodes" (
	"level" smallint NOT NULL,
	"index" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "audit_nodes_level_index_pk" PRIMARY KEY("level","index")
);
--> statement-breakpoint
CREATE TRIGGER "audit_nodes_append_only" BEFORE UPDATE OR DELETE ON "audit_nodes"
	FOR EACH ROW EXECUTE FUNCTION "shifou_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_nodes_no_truncate" BEFORE TRUNCATE ON "audit_nodes"
	FOR EACH STATEMENT EXECUTE FUNCTION "shifou_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_checkpoints_append_only" BEFORE UPDATE OR DELETE ON "audit_checkpoints"
	FOR EACH ROW EXECUTE FUNCTION "shifou_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_checkpoints_no_truncate" BEFORE TRUNCATE ON "audit_checkpoints"
	FOR EACH STATEMENT EXECUTE FUNCTION "shifou_append_only"();
