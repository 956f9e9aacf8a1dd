-- The detectors' observation of the fresh requests of one moment in one call (src/abuse/observe.ts),
-- instead of shifou_observe once per request through a lateral join: about 110 µs of PostgreSQL CPU
-- per fresh request, most of it the overhead of a function call and its eight statements on a row or
-- two each (bench/admission.ts).
--
-- p: [{client, org, day, subject, prefix, known}] in the batch's order (hex hashes). Whether each
-- subject is known is recorded once, on its row of the day; misses are added per client and per
-- organisation in key order (so that two batches never wait on each other in a circle); then the
-- counts the detectors judge, one row per request (i from 0). The counts are those after the whole
-- batch is recorded, where one call per request gave each request the counts up to itself: a
-- detector may see a batch's last misses a few requests early, never later.
--
-- Plans: the subjects' rows are marked one request at a time, each an index probe of the primary
-- key. A set-wise UPDATE joining the batch (migration 0023) was planned as a scan of the client's
-- whole day and measured slower than a call per request (migration 0024). The counts are index
-- probes, one per distinct client, prefix and subject of the batch. Scans and hash and merge joins
-- are off and the plans generic, made once per session, as in the limiter (migration 0020).
CREATE FUNCTION "shifou_observe_fresh"(p jsonb)
RETURNS TABLE (i integer, subjects integer, unknown integer, org_subjects integer, org_unknown integer,
	prefix_subjects integer, prefix_unknown integer, names integer)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	a_client text[]; a_org text[]; a_day date[]; a_subject bytea[]; a_prefix bytea[]; a_known boolean[];
	m_scope text[] := '{}'; m_day date[] := '{}';
	k integer;
BEGIN
	IF jsonb_array_length(p) = 0 THEN RETURN; END IF;
	SELECT array_agg(x.v->>'client' ORDER BY x.k), array_agg(x.v->>'org' ORDER BY x.k), array_agg((x.v->>'day')::date ORDER BY x.k),
			array_agg(decode(x.v->>'subject', 'hex') ORDER BY x.k), array_agg(decode(x.v->>'prefix', 'hex') ORDER BY x.k),
			array_agg((x.v->>'known')::boolean ORDER BY x.k)
		INTO a_client, a_org, a_day, a_subject, a_prefix, a_known
		FROM jsonb_array_elements(p) WITH ORDINALITY AS x(v, k);

	-- In key order, as the misses below: two batches that mark the same rows take them in one order.
	FOR k IN SELECT x.k FROM unnest(a_client, a_day, a_subject) WITH ORDINALITY AS x(c, d, s, k) ORDER BY x.c, x.d, x.s, x.k LOOP
		UPDATE usage_subjects s SET known = a_known[k]
			WHERE s.client_id = a_client[k] AND s.day = a_day[k] AND s.subject = a_subject[k] AND s.known IS NULL;
		IF FOUND AND NOT a_known[k] THEN
			m_scope := m_scope || ('client:' || a_client[k]);
			m_day := m_day || a_day[k];
			IF a_org[k] IS NOT NULL THEN
				m_scope := m_scope || ('org:' || a_org[k]);
				m_day := m_day || a_day[k];
			END IF;
		END IF;
	END LOOP;

	IF cardinality(m_scope) > 0 THEN
		INSERT INTO usage_misses AS m (scope, day, unknown)
			SELECT u.s, u.d, count(*)::integer FROM unnest(m_scope, m_day) AS u(s, d) GROUP BY u.s, u.d ORDER BY u.s, u.d
			ON CONFLICT (scope, day) DO UPDATE SET unknown = m.unknown + excluded.unknown;
	END IF;

	-- The counts after the batch are the same for every request of a client (and day), of a prefix,
	-- of a subject: each is read once per distinct key, then given to every request that has it.
	RETURN QUERY
	WITH u AS (
		SELECT x.c, x.o, x.d, x.s, x.p, x.k FROM unnest(a_client, a_org, a_day, a_subject, a_prefix) WITH ORDINALITY AS x(c, o, d, s, p, k)
	), per_client AS (
		SELECT y.c, y.o, y.d,
			(SELECT d.subjects FROM usage_daily d WHERE d.client_id = y.c AND d.day = y.d) AS subjects,
			coalesce((SELECT m.unknown FROM usage_misses m WHERE m.scope = 'client:' || y.c AND m.day = y.d), 0) AS unknown,
			(SELECT o.subjects FROM usage_org_daily o WHERE o.organisation = y.o AND o.day = y.d) AS org_subjects,
			CASE WHEN y.o IS NULL THEN NULL ELSE coalesce((SELECT m.unknown FROM usage_misses m WHERE m.scope = 'org:' || y.o AND m.day = y.d), 0) END AS org_unknown
		FROM (SELECT DISTINCT u.c, u.o, u.d FROM u) y
	), per_prefix AS (
		SELECT y.c, y.d, y.p, z.n, z.f
		FROM (SELECT DISTINCT u.c, u.d, u.p FROM u) y
		CROSS JOIN LATERAL (SELECT count(*)::integer AS n, (count(*) FILTER (WHERE s.known = false))::integer AS f
			FROM usage_subjects s WHERE s.client_id = y.c AND s.day = y.d AND s.prefix = y.p) z
	), per_subject AS (
		SELECT y.c, y.d, y.s, (SELECT count(*)::integer FROM usage_names n WHERE n.client_id = y.c AND n.day = y.d AND n.subject = y.s) AS names
		FROM (SELECT DISTINCT u.c, u.d, u.s FROM u) y
	)
	SELECT (u.k - 1)::integer, pc.subjects, pc.unknown, pc.org_subjects, pc.org_unknown, pp.n, pp.f, ps.names
	FROM u
		JOIN per_client pc ON pc.c = u.c AND pc.d = u.d AND pc.o IS NOT DISTINCT FROM u.o
		JOIN per_prefix pp ON pp.c = u.c AND pp.d = u.d AND pp.p = u.p
		JOIN per_subject ps ON ps.c = u.c AND ps.d = u.d AND ps.s = u.s
	ORDER BY u.k;
END
$$;
--> statement-breakpoint
-- Nothing calls the per-request observation any more (service processes of the previous version
-- did: their observations fail until they are replaced, their answers do not). The test of the
-- batch against one request at a time, and the bench, create it again from migrations 0004 and 0020.
DROP FUNCTION IF EXISTS "shifou_observe"(text, text, date, bytea, bytea, boolean, bigint[], text[]);
