CREATE TABLE "alerts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alerts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"client_id" text,
	"organisation" text,
	"kind" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"detail" jsonb NOT NULL,
	"suspended" boolean DEFAULT false NOT NULL,
	CONSTRAINT "alerts_dedupeKey_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "usage_case_subjects" (
	"client_id" text NOT NULL,
	"case_id" text NOT NULL,
	"subject" "bytea" NOT NULL,
	"first_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_case_subjects_client_id_case_id_subject_pk" PRIMARY KEY("client_id","case_id","subject")
);
--> statement-breakpoint
CREATE TABLE "usage_daily" (
	"client_id" text NOT NULL,
	"day" date NOT NULL,
	"subjects" integer DEFAULT 0 NOT NULL,
	"unknown" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_daily_client_id_day_pk" PRIMARY KEY("client_id","day")
);
--> statement-breakpoint
CREATE TABLE "usage_names" (
	"client_id" text NOT NULL,
	"day" date NOT NULL,
	"subject" "bytea" NOT NULL,
	"name" "bytea" NOT NULL,
	"first_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_names_client_id_day_subject_name_pk" PRIMARY KEY("client_id","day","subject","name")
);
--> statement-breakpoint
CREATE TABLE "usage_requests" (
	"client_id" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "usage_requests_client_id_minute_pk" PRIMARY KEY("client_id","minute")
);
--> statement-breakpoint
CREATE TABLE "usage_subjects" (
	"client_id" text NOT NULL,
	"day" date NOT NULL,
	"subject" "bytea" NOT NULL,
	"organisation" text,
	"prefix" "bytea" NOT NULL,
	"known" boolean,
	"first_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_subjects_client_id_day_subject_pk" PRIMARY KEY("client_id","day","subject")
);
--> statement-breakpoint
CREATE TABLE "consent_uses" (
	"jti" text PRIMARY KEY NOT NULL,
	"issuer" text NOT NULL,
	"used_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_key" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "disclosure_delay_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "auto_suspend" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "questions" ADD COLUMN "requires_consent" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "alerts_at_idx" ON "alerts" USING btree ("at");--> statement-breakpoint
CREATE INDEX "usage_subjects_prefix_idx" ON "usage_subjects" USING btree ("client_id","day","prefix");--> statement-breakpoint
CREATE INDEX "usage_subjects_org_idx" ON "usage_subjects" USING btree ("organisation","day");