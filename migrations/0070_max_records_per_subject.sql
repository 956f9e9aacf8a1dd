-- How many rows of one subject a connector's snapshot may hold (design §14.1, "Bounded lookups"):
-- a load rejects the rows beyond as TOO_MANY_RECORDS (the subject is then unreadable), and a
-- lookup reads at most this many rows plus one. Existing connectors keep the default the service
-- applied before it was a setting.
ALTER TABLE "connectors" ADD COLUMN "max_records_per_subject" integer DEFAULT 1000 NOT NULL;
