-- The limiter also says whether a request that passed recorded something new for the detectors:
-- a subject new to the client that day, or a name not tried against it that day. Only then can an
-- observation change a count the detectors judge (every count they read grows only with such a
-- request), so a repeat question about a subject is not observed again: in service, approval
-- systems re-check the same applicants all day, and each observation cost about as much database
-- time as the limiter itself. The limits themselves are unchanged (migration 0004).
DROP FUNCTION "shifou_quota_check_batch"(jsonb);
--> statement-breakpoint
DROP FUNCTION "shifou_quota_check"(text, text, timestamptz, date, bytea, bytea, text, bytea, integer, integer, integer, integer);
--> statement-breakpoint
CREATE FUNCTION "shifou_quota_check"(
	p_client text, p_org text, p_now timestamptz, p_day date,
	p_subject bytea, p_prefix bytea, p_case text, p_name bytea,
	p_rpm integer, p_spd integer, p_spc integer, p_npd integer,
	OUT code text, OUT fresh boolean
) LANGUAGE plpgsql AS $$
DECLARE
	n integer;
	new_subject boolean;
	new_name boolean := false;
BEGIN
	fresh := false;
	PERFORM pg_advisory_xact_lock(hashtextextended('shifou-quota/' || p_client, 0));

	INSERT INTO usage_requests AS u (client_id, minute, count) VALUES (p_client, date_trunc('minute', p_now), 1)
		ON CONFLICT (client_id, minute) DO UPDATE SET count = u.count + 1
		RETURNING u.count INTO n;
	IF n > p_rpm THEN code := 'requestsPerMinute'; RETURN; END IF;

	IF p_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM usage_names
			WHERE client_id = p_client AND day = p_day AND subject = p_subject AND name = p_name) THEN
		SELECT count(*) INTO n FROM usage_names WHERE client_id = p_client AND day = p_day AND subject = p_subject;
		IF n >= p_npd THEN code := 'namesPerSubjectPerDay'; RETURN; END IF;
	END IF;

	new_subject := NOT EXISTS (SELECT 1 FROM usage_subjects WHERE client_id = p_client AND day = p_day AND subject = p_subject);
	IF new_subject THEN
		SELECT coalesce((SELECT subjects FROM usage_daily WHERE client_id = p_client AND day = p_day), 0) INTO n;
		IF n >= p_spd THEN code := 'subjectsPerDay'; RETURN; END IF;
	END IF;

	IF NOT EXISTS (SELECT 1 FROM usage_case_subjects WHERE client_id = p_client AND case_id = p_case AND subject = p_subject) THEN
		SELECT count(*) INTO n FROM usage_case_subjects WHERE client_id = p_client AND case_id = p_case;
		IF n >= p_spc THEN code := 'subjectsPerCase'; RETURN; END IF;
		INSERT INTO usage_case_subjects (client_id, case_id, subject) VALUES (p_client, p_case, p_subject);
	END IF;

	IF p_name IS NOT NULL THEN
		INSERT INTO usage_names (client_id, day, subject, name) VALUES (p_client, p_day, p_subject, p_name) ON CONFLICT DO NOTHING;
		new_name := FOUND;
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
	fresh := new_subject OR new_name;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "shifou_quota_check_batch"(p jsonb)
RETURNS TABLE (i integer, code text, fresh boolean)
LANGUAGE plpgsql AS $$
DECLARE
	o record;
BEGIN
	FOR o IN SELECT (x.ordinality - 1)::integer AS k, x.value AS v FROM jsonb_array_elements(p) WITH ORDINALITY AS x
			ORDER BY x.value->>'client', x.ordinality LOOP
		i := o.k;
		SELECT c.code, c.fresh INTO code, fresh FROM shifou_quota_check(o.v->>'client', o.v->>'org', (o.v->>'now')::timestamptz, (o.v->>'day')::date,
			decode(o.v->>'subject', 'hex'), decode(o.v->>'prefix', 'hex'), o.v->>'case',
			CASE WHEN o.v->>'name' IS NULL THEN NULL ELSE decode(o.v->>'name', 'hex') END,
			(o.v->>'rpm')::integer, (o.v->>'spd')::integer, (o.v->>'spc')::integer, (o.v->>'npd')::integer) AS c;
		RETURN NEXT;
	END LOOP;
END
$$;
