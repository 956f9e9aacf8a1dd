-- Per-client limits (design §10), checked and recorded in one statement before any lookup, so
-- that every service process shares them and a restart keeps them. A transaction-level advisory
-- lock per client makes check-then-record exact under concurrency. Returns the limit that refused
-- the request, or null when it may proceed. Subjects, names and prefixes are keyed hashes.
-- The limiter also counts an organisation's new subjects of the day (one row, not a count(*) over
-- every subject the organisation asked about, on every request). PL/pgSQL resolves tables when a
-- function runs: usage_org_daily and usage_misses are created by migration 0005.
CREATE FUNCTION "shifou_quota_check"(
	p_client text, p_org text, p_now timestamptz, p_day date,
	p_subject bytea, p_prefix bytea, p_case text, p_name bytea,
	p_rpm integer, p_spd integer, p_spc integer, p_npd integer
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	n integer;
	new_subject boolean;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended('shifou-quota/' || p_client, 0));

	INSERT INTO usage_requests AS u (client_id, minute, count) VALUES (p_client, date_trunc('minute', p_now), 1)
		ON CONFLICT (client_id, minute) DO UPDATE SET count = u.count + 1
		RETURNING u.count INTO n;
	IF n > p_rpm THEN RETURN 'requestsPerMinute'; END IF;

	IF p_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM usage_names
			WHERE client_id = p_client AND day = p_day AND subject = p_subject AND name = p_name) THEN
		SELECT count(*) INTO n FROM usage_names WHERE client_id = p_client AND day = p_day AND subject = p_subject;
		IF n >= p_npd THEN RETURN 'namesPerSubjectPerDay'; END IF;
	END IF;

	new_subject := NOT EXISTS (SELECT 1 FROM usage_subjects WHERE client_id = p_client AND day = p_day AND subject = p_subject);
	IF new_subject THEN
		SELECT coalesce((SELECT subjects FROM usage_daily WHERE client_id = p_client AND day = p_day), 0) INTO n;
		IF n >= p_spd THEN RETURN 'subjectsPerDay'; END IF;
	END IF;

	IF NOT EXISTS (SELECT 1 FROM usage_case_subjects WHERE client_id = p_client AND case_id = p_case AND subject = p_subject) THEN
		SELECT count(*) INTO n FROM usage_case_subjects WHERE client_id = p_client AND case_id = p_case;
		IF n >= p_spc THEN RETURN 'subjectsPerCase'; END IF;
		INSERT INTO usage_case_subjects (client_id, case_id, subject) VALUES (p_client, p_case, p_subject);
	END IF;

	IF p_name IS NOT NULL THEN
		INSERT INTO usage_names (client_id, day, subject, name) VALUES (p_client, p_day, p_subject, p_name) ON CONFLICT DO NOTHING;
	END IF;
	IF new_subject THEN
		INSERT INTO usage_subjects (client_id, day, subject, organisation, prefix) VALUES (p_client, p_day, p_subject, p_org, p_prefix);
		INSERT INTO usage_daily AS d (client_id, day, subjects) VALUES (p_client, p_day, 1)
			ON CONFLICT (client_id, day) DO UPDATE SET subjects = d.subjects + 1;
		IF p_org IS NOT NULL THEN
			INSERT INTO usage_org_daily AS o (organisation, day, subjects) VALUES (p_org, p_day, 1)
				ON CONFLICT (organisation, day) DO UPDATE SET subjects = o.subjects + 1;
		END IF;
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
-- The detectors' observation in one round trip: whether the subject is known to any connector
-- (when the answers' own lookups found nothing, the probes of every active snapshot are tried
-- here), recorded once a day per client (misses in usage_misses, apart from the limiter's
-- counters, so the two never wait on one row), and the counts the detectors judge.
CREATE FUNCTION "shifou_observe"(p_client text, p_org text, p_day date, p_subject bytea, p_prefix bytea, p_known boolean,
	p_snapshots bigint[], p_hashes text[])
RETURNS TABLE (subjects integer, unknown integer, org_subjects integer, org_unknown integer, prefix_subjects integer, prefix_unknown integer, names integer)
LANGUAGE plpgsql AS $$
DECLARE
	v_known boolean := p_known;
BEGIN
	IF v_known IS NULL THEN
		-- One indexed probe per snapshot (a join against the probe list was planned as a scan).
		v_known := false;
		FOR i IN 1 .. coalesce(array_length(p_snapshots, 1), 0) LOOP
			IF EXISTS (SELECT 1 FROM records r WHERE r.snapshot_id = p_snapshots[i] AND r.subject_hash = decode(p_hashes[i], 'hex')) THEN
				v_known := true;
				EXIT;
			END IF;
		END LOOP;
	END IF;
	UPDATE usage_subjects s SET known = v_known
		WHERE s.client_id = p_client AND s.day = p_day AND s.subject = p_subject AND s.known IS NULL;
	IF FOUND AND NOT v_known THEN
		INSERT INTO usage_misses AS m (scope, day, unknown) VALUES ('client:' || p_client, p_day, 1)
			ON CONFLICT (scope, day) DO UPDATE SET unknown = m.unknown + 1;
		IF p_org IS NOT NULL THEN
			INSERT INTO usage_misses AS m (scope, day, unknown) VALUES ('org:' || p_org, p_day, 1)
				ON CONFLICT (scope, day) DO UPDATE SET unknown = m.unknown + 1;
		END IF;
	END IF;
	RETURN QUERY SELECT
		(SELECT d.subjects FROM usage_daily d WHERE d.client_id = p_client AND d.day = p_day),
		coalesce((SELECT m.unknown FROM usage_misses m WHERE m.scope = 'client:' || p_client AND m.day = p_day), 0),
		(SELECT o.subjects FROM usage_org_daily o WHERE o.organisation = p_org AND o.day = p_day),
		CASE WHEN p_org IS NULL THEN NULL ELSE coalesce((SELECT m.unknown FROM usage_misses m WHERE m.scope = 'org:' || p_org AND m.day = p_day), 0) END,
		(SELECT count(*)::integer FROM usage_subjects s WHERE s.client_id = p_client AND s.day = p_day AND s.prefix = p_prefix),
		(SELECT count(*)::integer FROM usage_subjects s WHERE s.client_id = p_client AND s.day = p_day AND s.prefix = p_prefix AND s.known = false),
		(SELECT count(*)::integer FROM usage_names n WHERE n.client_id = p_client AND n.day = p_day AND n.subject = p_subject);
END
$$;
--> statement-breakpoint
-- Observations of concurrent answers in one statement: the detectors run off the answers' path,
-- and one round trip per answer was a third of the service's socket writes under load.
CREATE FUNCTION "shifou_observe_batch"(p jsonb)
RETURNS TABLE (i integer, subjects integer, unknown integer, org_subjects integer, org_unknown integer, prefix_subjects integer, prefix_unknown integer, names integer)
LANGUAGE plpgsql AS $$
DECLARE
	o jsonb;
	k integer := 0;
	r record;
BEGIN
	FOR o IN SELECT value FROM jsonb_array_elements(p) LOOP
		SELECT * INTO r FROM shifou_observe(o->>'client', o->>'org', (o->>'day')::date, decode(o->>'subject', 'hex'), decode(o->>'prefix', 'hex'),
			(o->>'known')::boolean,
			ARRAY(SELECT jsonb_array_elements_text(o->'snapshots'))::bigint[],
			ARRAY(SELECT jsonb_array_elements_text(o->'hashes')));
		i := k;
		subjects := r.subjects;
		unknown := r.unknown;
		org_subjects := r.org_subjects;
		org_unknown := r.org_unknown;
		prefix_subjects := r.prefix_subjects;
		prefix_unknown := r.prefix_unknown;
		names := r.names;
		RETURN NEXT;
		k := k + 1;
	END LOOP;
END
$$;
--> statement-breakpoint
-- The limiter for the requests of one moment, in one statement: each request is checked exactly as
-- by shifou_quota_check, in the order of their clients (so that two processes' batches take the
-- per-client locks in one order and cannot deadlock), and the codes are returned by position.
CREATE FUNCTION "shifou_quota_check_batch"(p jsonb)
RETURNS TABLE (i integer, code text)
LANGUAGE plpgsql AS $$
DECLARE
	o record;
BEGIN
	FOR o IN SELECT (x.ordinality - 1)::integer AS k, x.value AS v FROM jsonb_array_elements(p) WITH ORDINALITY AS x
			ORDER BY x.value->>'client', x.ordinality LOOP
		i := o.k;
		code := shifou_quota_check(o.v->>'client', o.v->>'org', (o.v->>'now')::timestamptz, (o.v->>'day')::date,
			decode(o.v->>'subject', 'hex'), decode(o.v->>'prefix', 'hex'), o.v->>'case',
			CASE WHEN o.v->>'name' IS NULL THEN NULL ELSE decode(o.v->>'name', 'hex') END,
			(o.v->>'rpm')::integer, (o.v->>'spd')::integer, (o.v->>'spc')::integer, (o.v->>'npd')::integer);
		RETURN NEXT;
	END LOOP;
END
$$;
