CREATE TABLE "clients" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"organisation" text,
	"questions" jsonb NOT NULL,
	"purposes" jsonb NOT NULL,
	"quotas" jsonb NOT NULL,
	"confidential" boolean DEFAULT false NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connectors" (
	"id" text PRIMARY KEY NOT NULL,
	"department_id" text NOT NULL,
	"title" text NOT NULL,
	"kind" text NOT NULL,
	"subject_field" text NOT NULL,
	"subject_type" text NOT NULL,
	"fields" jsonb NOT NULL,
	"max_reject_ratio" real NOT NULL,
	"active_snapshot_id" bigint,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "departments" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "questions" (
	"id" text PRIMARY KEY NOT NULL,
	"connector_id" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"params" jsonb NOT NULL,
	"when" jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"connector_id" text NOT NULL,
	"status" text NOT NULL,
	"as_of" date NOT NULL,
	"rows" integer DEFAULT 0 NOT NULL,
	"subjects" integer DEFAULT 0 NOT NULL,
	"rejected_count" integer DEFAULT 0 NOT NULL,
	"rejected" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"ignored_columns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"key_version" smallint NOT NULL,
	"norm" text NOT NULL,
	"error" text,
	"started_by" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"loaded_at" timestamp with time zone,
	"superseded_at" timestamp with time zone,
	"dropped" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_entries" (
	"index" bigint PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"actor_sub" text NOT NULL,
	"actor_role" text NOT NULL,
	"caller" text,
	"question" text,
	"purpose" text,
	"case_id" text,
	"answer" text,
	"code" text,
	"subject" text,
	"verification" text,
	"snapshot" bigint,
	"entry" "bytea" NOT NULL,
	"leaf_hash" "bytea" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connectors" ADD CONSTRAINT "connectors_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions" ADD CONSTRAINT "questions_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connectors_department_idx" ON "connectors" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "snapshots_connector_idx" ON "snapshots" USING btree ("connector_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "snapshots_one_load_idx" ON "snapshots" USING btree ("connector_id") WHERE status = 'loading';--> statement-breakpoint
CREATE INDEX "audit_entries_at_idx" ON "audit_entries" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_entries_caller_idx" ON "audit_entries" USING btree ("caller","index");--> statement-breakpoint
CREATE INDEX "audit_entries_subject_idx" ON "audit_entries" USING btree ("subject","index");--> statement-breakpoint
CREATE INDEX "audit_entries_case_idx" ON "audit_entries" USING btree ("case_id","index");--> statement-breakpoint
CREATE INDEX "audit_entries_question_idx" ON "audit_entries" USING btree ("question","index");