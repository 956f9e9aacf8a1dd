CREATE TABLE "usage_misses" (
	"scope" text NOT NULL,
	"day" date NOT NULL,
	"unknown" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_misses_scope_day_pk" PRIMARY KEY("scope","day")
);
--> statement-breakpoint
CREATE TABLE "usage_org_daily" (
	"organisation" text NOT NULL,
	"day" date NOT NULL,
	"subjects" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_org_daily_organisation_day_pk" PRIMARY KEY("organisation","day")
);
--> statement-breakpoint
ALTER TABLE "usage_daily" DROP COLUMN "unknown";
