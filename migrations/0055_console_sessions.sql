-- The console's sessions (design §14.4). A row is found by the SHA-256 of the session cookie's
-- token; the principal (which holds a citizen's ID number) is sealed with AES-256-GCM under a key
-- derived from that token, so a copy of this table opens no session and reveals no identifier.
CREATE TABLE "console_sessions" (
	"token_hash" bytea PRIMARY KEY NOT NULL,
	"principal" bytea NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "console_sessions_last_seen_idx" ON "console_sessions" USING btree ("last_seen");
--> statement-breakpoint
-- An auditor acknowledges an alert (an audit entry of kind change records who and when).
ALTER TABLE "alerts" ADD COLUMN "acknowledged_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "acknowledged_by" text;
