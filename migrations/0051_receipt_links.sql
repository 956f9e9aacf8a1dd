-- The short links a certificate's QR code holds (design §14.4): `/r#<token>` opens the receipt check
-- page, which fetches the verification's receipts by the token and verifies them in the browser. The
-- token is kept only as its SHA-256; beside the receipts (which name no one) the row holds the masked
-- ID number and masked name the certificate printed, so the page can show whom the paper is about.
CREATE TABLE "receipt_links" (
	"token_hash" bytea PRIMARY KEY NOT NULL,
	"verification" text NOT NULL,
	"receipts" jsonb NOT NULL,
	"masked_id" text NOT NULL,
	"masked_name" text,
	"issued_at" timestamp with time zone NOT NULL,
	"valid_until" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
