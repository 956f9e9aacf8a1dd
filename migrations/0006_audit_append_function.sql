-- A group-committed batch of audit entries in one statement (one round trip, its own
-- transaction): the writer numbered the batch after the log size it last saw, and this checks
-- that size under the audit lock. If another process appended meanwhile, nothing is written and
-- the current size is returned for the writer to renumber; -1 means the batch is in.
CREATE FUNCTION "shifou_audit_append"(p_lock bigint, p_size bigint, p_entries jsonb, p_nodes jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_size bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(p_lock);
	SELECT coalesce(max(index) + 1, 0) INTO v_size FROM audit_entries;
	IF v_size <> p_size THEN
		RETURN v_size;
	END IF;
	INSERT INTO audit_entries (index, at, kind, actor_sub, actor_role, caller, question, purpose, case_id, answer, code, subject,
			verification, snapshot, entry, leaf_hash)
		SELECT x.index, x.at, x.kind, x.actor_sub, x.actor_role, x.caller, x.question, x.purpose, x.case_id, x.answer, x.code, x.subject,
			x.verification, x.snapshot, decode(x.entry, 'hex'), decode(x.leaf_hash, 'hex')
		FROM jsonb_to_recordset(p_entries) AS x(index bigint, at timestamptz, kind text, actor_sub text,
			actor_role text, caller text, question text, purpose text, case_id text, answer text, code text,
			subject text, verification text, snapshot bigint, entry text, leaf_hash text);
	INSERT INTO audit_nodes (level, index, hash)
		SELECT n.l, n.i, decode(n.h, 'hex') FROM jsonb_to_recordset(p_nodes) AS n(l smallint, i bigint, h text);
	RETURN -1;
END
$$;
