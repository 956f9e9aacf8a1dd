-- Idempotency keys (design §14.6; src/idempotency). A key is claimed (state 'pending', for a lease)
-- before its request is decided, and marked 'done' with what to replay in the same transaction as the
-- answer's audit entries (the audit writer's companion write), so a key is recorded exactly when its
-- answer is. The key itself is stored as a keyed hash (a client might use an ID number as a key) and
-- the request as a keyed hash of its canonical JSON; the replay record holds verification ids and
-- problem documents only. Rows expire 24 h after they were claimed and are deleted by the cleanup.
CREATE TABLE "idempotency_keys" (
	"client_id" text NOT NULL,
	"key_hash" bytea NOT NULL,
	"route" text NOT NULL,
	"request_hash" bytea NOT NULL,
	"claim" uuid NOT NULL,
	"state" text NOT NULL,
	"lease_until" timestamp with time zone NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_client_id_key_hash_pk" PRIMARY KEY("client_id","key_hash"),
	CONSTRAINT "idempotency_keys_state_check" CHECK ("state" IN ('pending', 'done'))
);
--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" USING btree ("expires_at");
