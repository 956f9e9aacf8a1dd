-- The detectors' observation of the fresh requests of one moment in one set-wise statement
-- (src/abuse/observe.ts), as migration 0009's batch path did before admission and reading records
-- were separated (migration 0020). Calling shifou_observe once per request cost about nine
-- statements each, most of it statement overhead on a row or two: measured on the bench database's
-- backends, about 90 µs of PostgreSQL CPU per fresh request at batches of 16, against 49 µs for the
-- limiter itself. The counts returned are those after the whole batch is recorded.
--
-- Whether each subject is known (p: [{i, client, org, day, subject, prefix, known}], hex hashes) is
-- recorded once on its row of the day; misses are added per client and organisation in key order
-- (so that two batches never wait on each other in a circle); then the counts the detectors judge.
-- A function so that its plans reach every table through its index: scans and hash and merge joins
-- are off, as in the limiter (migration 0009), and its generic plans are made once per session.
CREATE FUNCTION "shifou_observe_batch"(p jsonb)
RETURNS TABLE (i integer, subjects integer, unknown integer, org_subjects integer, org_unknown integer,
	prefix_subjects integer, prefix_unknown integer, names integer)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	RETURN QUERY
	WITH v AS (
		SELECT u.i, u.client, u.org, u.day, decode(u.subject, 'hex') AS subject, decode(u.prefix, 'hex') AS prefix, u.known
		FROM jsonb_to_recordset(p) AS u(i integer, client text, org text, day date, subject text, prefix text, known boolean)
	), marked AS (
		UPDATE usage_subjects s SET known = v.known FROM v
		WHERE s.client_id = v.client AND s.day = v.day AND s.subject = v.subject AND s.known IS NULL
		RETURNING s.client_id, s.organisation, s.day, s.prefix, s.known
	), counted AS (
		INSERT INTO usage_misses AS x (scope, day, unknown)
		SELECT m.scope, m.day, count(*)::integer FROM (
			SELECT 'client:' || k.client_id AS scope, k.day FROM marked k WHERE NOT k.known
			UNION ALL
			SELECT 'org:' || k.organisation, k.day FROM marked k WHERE NOT k.known AND k.organisation IS NOT NULL
		) m GROUP BY m.scope, m.day ORDER BY m.scope, m.day
		ON CONFLICT (scope, day) DO UPDATE SET unknown = x.unknown + excluded.unknown
		RETURNING x.scope, x.day, x.unknown
	)
	SELECT v.i,
		(SELECT d.subjects FROM usage_daily d WHERE d.client_id = v.client AND d.day = v.day),
		coalesce((SELECT c.unknown FROM counted c WHERE c.scope = 'client:' || v.client AND c.day = v.day),
			(SELECT m.unknown FROM usage_misses m WHERE m.scope = 'client:' || v.client AND m.day = v.day), 0),
		(SELECT o.subjects FROM usage_org_daily o WHERE o.organisation = v.org AND o.day = v.day),
		CASE WHEN v.org IS NULL THEN NULL ELSE coalesce((SELECT c.unknown FROM counted c WHERE c.scope = 'org:' || v.org AND c.day = v.day),
			(SELECT m.unknown FROM usage_misses m WHERE m.scope = 'org:' || v.org AND m.day = v.day), 0) END,
		(SELECT count(*)::integer FROM usage_subjects s WHERE s.client_id = v.client AND s.day = v.day AND s.prefix = v.prefix),
		(SELECT count(*)::integer FROM usage_subjects s WHERE s.client_id = v.client AND s.day = v.day AND s.prefix = v.prefix AND s.known = false)
			+ (SELECT count(*)::integer FROM marked k WHERE k.client_id = v.client AND k.day = v.day AND k.prefix = v.prefix AND NOT k.known),
		(SELECT count(*)::integer FROM usage_names n WHERE n.client_id = v.client AND n.day = v.day AND n.subject = v.subject)
	FROM v ORDER BY v.i;
END
$$;
