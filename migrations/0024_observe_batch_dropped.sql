-- shifou_observe_batch (migration 0023) is not called: its UPDATE of the subjects' rows was
-- planned as a scan of the client's whole day (the rows whose `known` is still null are few, so the
-- planner read the primary key with that filter and joined the batch afterwards), and measured
-- slower than shifou_observe once per request (2,353 against 795 µs of PostgreSQL CPU an answer at
-- batch size 1). The observation calls shifou_observe per request again (src/abuse/observe.ts).
DROP FUNCTION IF EXISTS "shifou_observe_batch"(jsonb);
