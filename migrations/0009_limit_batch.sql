-- The limiter, the records lookup and the detectors' observation of the requests of one moment,
-- in one statement and a few set-wise steps (shifou_limit_batch, below).
--
-- The records of a request's lookups ([{s: snapshot, h: subject hash in hex}]), as
-- [{l: the lookup's place, a: the record's attributes}], or null when none has a record. One
-- indexed probe of each snapshot's partition (a lateral join, never planned as a scan). Used by
-- the request-by-request path of shifou_limit_batch.
CREATE FUNCTION "shifou_lookup_records"(p_lookups jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT jsonb_agg(jsonb_build_object('l', l.k - 1, 'a', r.attrs) ORDER BY l.k)
		FROM jsonb_array_elements(coalesce(p_lookups, '[]')) WITH ORDINALITY AS l(e, k)
		CROSS JOIN LATERAL (SELECT x.attrs FROM records x WHERE x.snapshot_id = (l.e->>'s')::bigint AND x.subject_hash = decode(l.e->>'h', 'hex')) r);
END
$$;
--> statement-breakpoint
-- Before, a request went through three batches in turn: the limiter (shifou_quota_check, about ten
-- statements a request), the lookup, and after its answer the observation (shifou_observe, another
-- eight statements, one of them an update of the subject's row just inserted). Under load that was
-- most of the database's work per answer, nearly all of it the overhead of statements on a row or
-- two, and each batch a wait on the answer's path.
--
-- The batch is first checked as a whole: if, with every request of the batch counted, no client
-- would be over any of its limits, then each request passes when checked one at a time in any
-- order (every count only grows, and only a count reaching its limit refuses), so the batch is
-- recorded with one statement per table. A batch in which some client would reach a limit is
-- checked request by request, exactly as before (shifou_quota_check, shifou_observe). The same
-- transaction-level lock per client, taken in the order of the clients, serialises both paths
-- across service processes.
--
-- A request that passes gets the records of its lookups (the connectors of its questions; none
-- when the service still has checks to make before any record is read), so a refused request is
-- still never looked up. A fresh request (a subject new to its client today, or a name not yet
-- tried against it today) is observed in the same statement: whether the subject is known to any
-- connector (its lookups found it, or one of the probes of the other active snapshots does) is
-- recorded with its row of the day, and the counts the detectors judge are returned, read once the
-- batch is recorded. The service judges them off the answer's path.
--
-- Every table is reached through an index, one probe per request: PL/pgSQL keeps a statement's
-- plan for the session, and a plan made while the usage tables were nearly empty (a new install,
-- early in the day) read them whole, so that a batch cost more the more the day had recorded
-- (measured: 240 µs a request after 250 batches, 1,900 µs after 1,500). Sequential scans and hash
-- and merge joins are therefore off inside this function.
--
-- shifou_quota_check_batch and shifou_observe_batch (migrations 0004 and 0008) are no longer called; they
-- stay for service processes of the previous version still running during an upgrade.
CREATE FUNCTION "shifou_limit_batch"(p jsonb)
RETURNS TABLE (i integer, code text, fresh boolean, records jsonb, subjects integer, unknown integer, org_subjects integer,
	org_unknown integer, prefix_subjects integer, prefix_unknown integer, names integer)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
	a_client text[]; a_org text[]; a_minute timestamptz[]; a_day date[]; a_subject bytea[]; a_prefix bytea[];
	a_case text[]; a_name bytea[]; a_rpm integer[]; a_spd integer[]; a_spc integer[]; a_npd integer[];
	a_new_subject integer[]; a_new_case integer[]; a_new_name integer[]; a_known integer[]; a_records jsonb[];
	o record;
	q record;
BEGIN
	IF jsonb_array_length(p) = 0 THEN RETURN; END IF;
	SELECT array_agg(x.v->>'client' ORDER BY x.k), array_agg(x.v->>'org' ORDER BY x.k),
			array_agg(date_trunc('minute', (x.v->>'now')::timestamptz) ORDER BY x.k), array_agg((x.v->>'day')::date ORDER BY x.k),
			array_agg(decode(x.v->>'subject', 'hex') ORDER BY x.k), array_agg(decode(x.v->>'prefix', 'hex') ORDER BY x.k),
			array_agg(x.v->>'case' ORDER BY x.k), array_agg(decode(x.v->>'name', 'hex') ORDER BY x.k),
			array_agg((x.v->>'rpm')::integer ORDER BY x.k), array_agg((x.v->>'spd')::integer ORDER BY x.k),
			array_agg((x.v->>'spc')::integer ORDER BY x.k), array_agg((x.v->>'npd')::integer ORDER BY x.k)
		INTO a_client, a_org, a_minute, a_day, a_subject, a_prefix, a_case, a_name, a_rpm, a_spd, a_spc, a_npd
		FROM jsonb_array_elements(p) WITH ORDINALITY AS x(v, k);

	PERFORM pg_advisory_xact_lock(hashtextextended('shifou-quota/' || c.client, 0))
		FROM (SELECT DISTINCT u.client FROM unnest(a_client) AS u(client) ORDER BY u.client) c;

	-- What the batch would add: the first request of each subject new to its client today, of each
	-- subject new to its case, and of each name new to its subject today (positions from 1).
	SELECT coalesce(array_agg(b.k), '{}') INTO a_new_subject FROM (
		SELECT DISTINCT ON (u.c, u.d, u.s) u.c, u.d, u.s, u.k::integer AS k
		FROM unnest(a_client, a_day, a_subject) WITH ORDINALITY AS u(c, d, s, k) ORDER BY u.c, u.d, u.s, u.k
	) b WHERE NOT EXISTS (SELECT 1 FROM usage_subjects x WHERE x.client_id = b.c AND x.day = b.d AND x.subject = b.s);
	SELECT coalesce(array_agg(b.k), '{}') INTO a_new_case FROM (
		SELECT DISTINCT ON (u.c, u.cs, u.s) u.c, u.cs, u.s, u.k::integer AS k
		FROM unnest(a_client, a_case, a_subject) WITH ORDINALITY AS u(c, cs, s, k) ORDER BY u.c, u.cs, u.s, u.k
	) b WHERE NOT EXISTS (SELECT 1 FROM usage_case_subjects x WHERE x.client_id = b.c AND x.case_id = b.cs AND x.subject = b.s);
	SELECT coalesce(array_agg(b.k), '{}') INTO a_new_name FROM (
		SELECT DISTINCT ON (u.c, u.d, u.s, u.n) u.c, u.d, u.s, u.n, u.k::integer AS k
		FROM unnest(a_client, a_day, a_subject, a_name) WITH ORDINALITY AS u(c, d, s, n, k) WHERE u.n IS NOT NULL ORDER BY u.c, u.d, u.s, u.n, u.k
	) b WHERE NOT EXISTS (SELECT 1 FROM usage_names x WHERE x.client_id = b.c AND x.day = b.d AND x.subject = b.s AND x.name = b.n);

	-- Would any client be over a limit with the whole batch counted? Then request by request.
	IF EXISTS (SELECT 1 FROM (SELECT u.c, u.m, count(*) AS n, min(u.q) AS q FROM unnest(a_client, a_minute, a_rpm) AS u(c, m, q) GROUP BY u.c, u.m) b
			LEFT JOIN usage_requests x ON x.client_id = b.c AND x.minute = b.m WHERE coalesce(x.count, 0) + b.n > b.q)
		OR EXISTS (SELECT 1 FROM (SELECT a_client[k] AS c, a_day[k] AS d, count(*) AS n, min(a_spd[k]) AS q FROM unnest(a_new_subject) AS k GROUP BY 1, 2) b
			LEFT JOIN usage_daily x ON x.client_id = b.c AND x.day = b.d WHERE coalesce(x.subjects, 0) + b.n > b.q)
		OR EXISTS (SELECT 1 FROM (SELECT a_client[k] AS c, a_case[k] AS cs, count(*) AS n, min(a_spc[k]) AS q FROM unnest(a_new_case) AS k GROUP BY 1, 2) b
			WHERE (SELECT count(*) FROM usage_case_subjects x WHERE x.client_id = b.c AND x.case_id = b.cs) + b.n > b.q)
		OR EXISTS (SELECT 1 FROM (SELECT a_client[k] AS c, a_day[k] AS d, a_subject[k] AS s, count(*) AS n, min(a_npd[k]) AS q FROM unnest(a_new_name) AS k GROUP BY 1, 2, 3) b
			WHERE (SELECT count(*) FROM usage_names x WHERE x.client_id = b.c AND x.day = b.d AND x.subject = b.s) + b.n > b.q)
	THEN
		FOR o IN SELECT (x.k - 1)::integer AS k, x.v FROM jsonb_array_elements(p) WITH ORDINALITY AS x(v, k) ORDER BY x.v->>'client', x.k LOOP
			i := o.k;
			SELECT c.code, c.fresh INTO code, fresh FROM shifou_quota_check(o.v->>'client', o.v->>'org', (o.v->>'now')::timestamptz, (o.v->>'day')::date,
				decode(o.v->>'subject', 'hex'), decode(o.v->>'prefix', 'hex'), o.v->>'case', decode(o.v->>'name', 'hex'),
				(o.v->>'rpm')::integer, (o.v->>'spd')::integer, (o.v->>'spc')::integer, (o.v->>'npd')::integer) AS c;
			records := NULL; subjects := NULL; unknown := NULL; org_subjects := NULL; org_unknown := NULL;
			prefix_subjects := NULL; prefix_unknown := NULL; names := NULL;
			IF code IS NULL THEN
				records := shifou_lookup_records(o.v->'lookups');
				IF fresh THEN
					SELECT * INTO q FROM shifou_observe(o.v->>'client', o.v->>'org', (o.v->>'day')::date, decode(o.v->>'subject', 'hex'),
						decode(o.v->>'prefix', 'hex'), CASE WHEN records IS NOT NULL THEN true END,
						ARRAY(SELECT (e->>'s')::bigint FROM jsonb_array_elements(o.v->'probes') AS e),
						ARRAY(SELECT e->>'h' FROM jsonb_array_elements(o.v->'probes') AS e));
					subjects := q.subjects; unknown := q.unknown; org_subjects := q.org_subjects; org_unknown := q.org_unknown;
					prefix_subjects := q.prefix_subjects; prefix_unknown := q.prefix_unknown; names := q.names;
				END IF;
			END IF;
			RETURN NEXT;
		END LOOP;
		RETURN;
	END IF;

	-- Every request passes: its records, then whether each new subject is known to any connector.
	SELECT array_agg((SELECT jsonb_agg(jsonb_build_object('l', l.k - 1, 'a', r.attrs) ORDER BY l.k)
			FROM jsonb_array_elements(x.v->'lookups') WITH ORDINALITY AS l(e, k)
			CROSS JOIN LATERAL (SELECT y.attrs FROM records y WHERE y.snapshot_id = (l.e->>'s')::bigint AND y.subject_hash = decode(l.e->>'h', 'hex')) r) ORDER BY x.k)
		INTO a_records FROM jsonb_array_elements(p) WITH ORDINALITY AS x(v, k);
	SELECT coalesce(array_agg(n.k), '{}') INTO a_known FROM unnest(a_new_subject) AS n(k)
		WHERE a_records[n.k] IS NOT NULL
			OR EXISTS (SELECT 1 FROM jsonb_to_recordset(p->(n.k - 1)->'probes') AS pr(s bigint, h text)
				CROSS JOIN LATERAL (SELECT 1 FROM records r WHERE r.snapshot_id = pr.s AND r.subject_hash = decode(pr.h, 'hex') LIMIT 1) r);

	-- Record the batch, one statement per table. Rows that several processes write (an
	-- organisation's) are written in key order, so that two batches never wait on each other in a
	-- circle.
	INSERT INTO usage_requests AS x (client_id, minute, count)
		SELECT u.c, u.m, count(*) FROM unnest(a_client, a_minute) AS u(c, m) GROUP BY u.c, u.m ORDER BY u.c, u.m
		ON CONFLICT (client_id, minute) DO UPDATE SET count = x.count + excluded.count;
	INSERT INTO usage_case_subjects (client_id, case_id, subject)
		SELECT a_client[k], a_case[k], a_subject[k] FROM unnest(a_new_case) AS k;
	INSERT INTO usage_names (client_id, day, subject, name)
		SELECT a_client[k], a_day[k], a_subject[k], a_name[k] FROM unnest(a_new_name) AS k;
	INSERT INTO usage_subjects (client_id, day, subject, organisation, prefix, known)
		SELECT a_client[k], a_day[k], a_subject[k], a_org[k], a_prefix[k], k = ANY(a_known) FROM unnest(a_new_subject) AS k;
	INSERT INTO usage_daily AS x (client_id, day, subjects)
		SELECT a_client[k], a_day[k], count(*) FROM unnest(a_new_subject) AS k GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (client_id, day) DO UPDATE SET subjects = x.subjects + excluded.subjects;
	INSERT INTO usage_org_daily AS x (organisation, day, subjects)
		SELECT a_org[k], a_day[k], count(*) FROM unnest(a_new_subject) AS k WHERE a_org[k] IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (organisation, day) DO UPDATE SET subjects = x.subjects + excluded.subjects;
	INSERT INTO usage_misses AS x (scope, day, unknown)
		SELECT m.scope, m.day, count(*) FROM (
			SELECT 'client:' || a_client[k] AS scope, a_day[k] AS day FROM unnest(a_new_subject) AS k WHERE NOT k = ANY(a_known)
			UNION ALL
			SELECT 'org:' || a_org[k], a_day[k] FROM unnest(a_new_subject) AS k WHERE NOT k = ANY(a_known) AND a_org[k] IS NOT NULL
		) m GROUP BY m.scope, m.day ORDER BY m.scope, m.day
		ON CONFLICT (scope, day) DO UPDATE SET unknown = x.unknown + excluded.unknown;

	-- The counts the detectors judge, for the fresh requests, once the batch is recorded.
	RETURN QUERY SELECT (b.k - 1)::integer, NULL::text, f.fresh, a_records[b.k], c.subjects, c.unknown, c.org_subjects, c.org_unknown,
			c.prefix_subjects, c.prefix_unknown, c.names
		FROM unnest(a_client, a_org, a_day, a_subject, a_prefix) WITH ORDINALITY AS b(cl, org, d, s, pf, k)
		CROSS JOIN LATERAL (SELECT b.k::integer = ANY(a_new_subject) OR b.k::integer = ANY(a_new_name) AS fresh) f
		LEFT JOIN LATERAL (SELECT
			(SELECT x.subjects FROM usage_daily x WHERE x.client_id = b.cl AND x.day = b.d) AS subjects,
			coalesce((SELECT x.unknown FROM usage_misses x WHERE x.scope = 'client:' || b.cl AND x.day = b.d), 0) AS unknown,
			(SELECT x.subjects FROM usage_org_daily x WHERE x.organisation = b.org AND x.day = b.d) AS org_subjects,
			CASE WHEN b.org IS NULL THEN NULL ELSE coalesce((SELECT x.unknown FROM usage_misses x WHERE x.scope = 'org:' || b.org AND x.day = b.d), 0) END AS org_unknown,
			pc.n AS prefix_subjects, pc.u AS prefix_unknown,
			(SELECT count(*)::integer FROM usage_names x WHERE x.client_id = b.cl AND x.day = b.d AND x.subject = b.s) AS names
			FROM (SELECT count(*)::integer AS n, (count(*) FILTER (WHERE x.known = false))::integer AS u
				FROM usage_subjects x WHERE x.client_id = b.cl AND x.day = b.d AND x.prefix = b.pf) pc
		) c ON f.fresh
		ORDER BY b.k;
END
$$;
