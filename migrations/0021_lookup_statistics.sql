-- Bounded lookups (design §14.1): a snapshot's table is planned as probed one subject at a time.
-- src/connectors/records.ts (createPartition) now declares each new snapshot table's subjects
-- distinct (n_distinct -1) before it is analyzed: with statistics sampled from a file of identical
-- rows, every lookup of that snapshot was planned as a sequential scan of all its rows (50 ms a
-- lookup at 300,000 rows, measured) where the index answers in 0.1 ms. The snapshot tables loaded
-- before this migration get the same declaration, and fresh statistics (ANALYZE samples a fixed
-- number of rows: a fraction of a second per table).
DO $$
DECLARE
	t text;
BEGIN
	FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname ~ '^records_s[0-9]+$' LOOP
		EXECUTE format('ALTER TABLE %I ALTER COLUMN subject_hash SET (n_distinct = -1)', t);
		EXECUTE format('ANALYZE %I', t);
	END LOOP;
END
$$;
