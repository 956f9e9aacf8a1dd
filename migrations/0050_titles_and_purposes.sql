-- Titles in two languages (design §14.4): questions and connectors may carry {zh, en}; purposes are
-- registered with theirs. A purpose code a client lists but nobody registered stays valid and shows
-- as its code.
ALTER TABLE "questions" ADD COLUMN "titles" jsonb;--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "titles" jsonb;--> statement-breakpoint
CREATE TABLE "purposes" (
	"id" text PRIMARY KEY NOT NULL,
	"titles" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
