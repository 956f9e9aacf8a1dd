-- shifou_admit calls side by side (several service processes on one database, design §12).
--
-- Each call takes its clients' locks in the order of the clients' ids, and the batch path writes
-- the one row several clients share, their organisation's count of the day, in key order: two
-- calls cannot wait on each other in a circle there. The request-by-request path (a batch in which
-- some client is over a limit) went through the requests in the order of their clients, so two
-- such calls could take two organisations' rows in opposite orders (client a of organisation Y
-- before client b of X in one, client c of X before client d of Y in the other) and deadlock,
-- which PostgreSQL breaks by failing one: its requests were refused (503 QUOTA_UNAVAILABLE), never
-- answered wrongly, but refused. It now goes through them by organisation, then client, then
-- arrival, so every call takes organisation rows in one order; a client's own requests keep theirs.
CREATE OR REPLACE FUNCTION "shifou_admit"(p jsonb)
RETURNS TABLE (i integer, code text, fresh boolean)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	a_client text[]; a_org text[]; a_minute timestamptz[]; a_day date[]; a_subject bytea[]; a_prefix bytea[];
	a_case text[]; a_name bytea[]; a_rpm integer[]; a_spd integer[]; a_spc integer[]; a_npd integer[];
	a_new_subject integer[]; a_new_case integer[]; a_new_name integer[];
	o record;
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
		FOR o IN SELECT (x.k - 1)::integer AS k, x.v FROM jsonb_array_elements(p) WITH ORDINALITY AS x(v, k)
				ORDER BY x.v->>'org' NULLS FIRST, x.v->>'client', x.k LOOP
			i := o.k;
			SELECT c.code, c.fresh INTO code, fresh FROM shifou_quota_check(o.v->>'client', o.v->>'org', (o.v->>'now')::timestamptz, (o.v->>'day')::date,
				decode(o.v->>'subject', 'hex'), decode(o.v->>'prefix', 'hex'), o.v->>'case', decode(o.v->>'name', 'hex'),
				(o.v->>'rpm')::integer, (o.v->>'spd')::integer, (o.v->>'spc')::integer, (o.v->>'npd')::integer) AS c;
			fresh := code IS NULL AND fresh;
			RETURN NEXT;
		END LOOP;
		RETURN;
	END IF;

	-- Every request passes: record the batch, one statement per table. Rows that several processes
	-- write (an organisation's) are written in key order, so that two batches never wait on each
	-- other in a circle. Whether a new subject is known to a connector is recorded by its observation.
	INSERT INTO usage_requests AS x (client_id, minute, count)
		SELECT u.c, u.m, count(*) FROM unnest(a_client, a_minute) AS u(c, m) GROUP BY u.c, u.m ORDER BY u.c, u.m
		ON CONFLICT (client_id, minute) DO UPDATE SET count = x.count + excluded.count;
	INSERT INTO usage_case_subjects (client_id, case_id, subject)
		SELECT a_client[k], a_case[k], a_subject[k] FROM unnest(a_new_case) AS k;
	INSERT INTO usage_names (client_id, day, subject, name)
		SELECT a_client[k], a_day[k], a_subject[k], a_name[k] FROM unnest(a_new_name) AS k;
	INSERT INTO usage_subjects (client_id, day, subject, organisation, prefix)
		SELECT a_client[k], a_day[k], a_subject[k], a_org[k], a_prefix[k] FROM unnest(a_new_subject) AS k;
	INSERT INTO usage_daily AS x (client_id, day, subjects)
		SELECT a_client[k], a_day[k], count(*) FROM unnest(a_new_subject) AS k GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (client_id, day) DO UPDATE SET subjects = x.subjects + excluded.subjects;
	INSERT INTO usage_org_daily AS x (organisation, day, subjects)
		SELECT a_org[k], a_day[k], count(*) FROM unnest(a_new_subject) AS k WHERE a_org[k] IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (organisation, day) DO UPDATE SET subjects = x.subjects + excluded.subjects;

	RETURN QUERY SELECT (b.k - 1)::integer, NULL::text, b.k::integer = ANY(a_new_subject) OR b.k::integer = ANY(a_new_name)
		FROM generate_subscripts(a_client, 1) AS b(k) ORDER BY b.k;
END
$$;
