-- Per-client limits (design §10), checked and recorded in one statement before any lookup, so
-- that every service process shares them and a restart keeps them. A transaction-level advisory
-- lock per client makes check-then-record exact under concurrency. Returns the limit that refused
-- the request, or null when it may proceed. Subjects, names and prefixes are keyed hashes.
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

	-- Every request counts against the rate, refused or not: a flood stays a flood.
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
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
-- Records, for the detectors, whether a subject asked about today was known to any connector, and
-- returns the counts they judge: the client's and its organisation's subjects and misses today,
-- the subjects and misses under this subject's 14-digit prefix (region and birth date), and the
-- distinct names tried against this subject today.
CREATE FUNCTION "shifou_observe"(p_client text, p_org text, p_day date, p_subject bytea, p_prefix bytea, p_known boolean)
RETURNS TABLE (subjects integer, unknown integer, org_subjects integer, org_unknown integer, prefix_subjects integer, prefix_unknown integer, names integer)
LANGUAGE plpgsql AS $$
DECLARE
	first_time boolean;
BEGIN
	UPDATE usage_subjects SET known = p_known
		WHERE client_id = p_client AND day = p_day AND subject = p_subject AND known IS NULL;
	first_time := FOUND;
	IF first_time AND NOT p_known THEN
		UPDATE usage_daily SET unknown = usage_daily.unknown + 1 WHERE client_id = p_client AND day = p_day;
	END IF;
	RETURN QUERY SELECT
		(SELECT d.subjects FROM usage_daily d WHERE d.client_id = p_client AND d.day = p_day),
		(SELECT d.unknown FROM usage_daily d WHERE d.client_id = p_client AND d.day = p_day),
		CASE WHEN p_org IS NULL THEN NULL ELSE (SELECT count(*)::integer FROM usage_subjects s WHERE s.organisation = p_org AND s.day = p_day) END,
		CASE WHEN p_org IS NULL THEN NULL ELSE (SELECT count(*)::integer FROM usage_subjects s WHERE s.organisation = p_org AND s.day = p_day AND s.known = false) END,
		(SELECT count(*)::integer FROM usage_subjects s WHERE s.client_id = p_client AND s.day = p_day AND s.prefix = p_prefix),
		(SELECT count(*)::integer FROM usage_subjects s WHERE s.client_id = p_client AND s.day = p_day AND s.prefix = p_prefix AND s.known = false),
		(SELECT count(*)::integer FROM usage_names n WHERE n.client_id = p_client AND n.day = p_day AND n.subject = p_subject);
END
$$;
