-- The data-access rule (docs/architecture.md), applied to the stored functions.
--
-- The limiter's and the detectors' batch functions of migrations 0004 and 0008 have not been
-- called since migration 0009 replaced them with shifou_limit_batch; they were kept only for
-- service processes of the previous version during an upgrade. Nothing calls them now.
DROP FUNCTION IF EXISTS "shifou_quota_check_batch"(jsonb);
--> statement-breakpoint
DROP FUNCTION IF EXISTS "shifou_observe_batch"(jsonb);
--> statement-breakpoint
-- The audit fast path takes the batch's rows as the table's own record type, so that the columns
-- of audit_entries are listed once (src/audit/writer.ts builds the rows) instead of again here.
CREATE OR REPLACE FUNCTION "shifou_audit_append"(p_lock bigint, p_size bigint, p_entries jsonb, p_nodes jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_size bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(p_lock);
	SELECT coalesce(max(index) + 1, 0) INTO v_size FROM audit_entries;
	IF v_size <> p_size THEN
		RETURN v_size;
	END IF;
	INSERT INTO audit_entries SELECT * FROM jsonb_populate_recordset(NULL::audit_entries, p_entries);
	INSERT INTO audit_nodes (level, index, hash)
		SELECT n.l, n.i, decode(n.h, 'hex') FROM jsonb_to_recordset(p_nodes) AS n(l smallint, i bigint, h text);
	RETURN -1;
END
$$;
