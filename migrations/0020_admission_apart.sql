-- Admission apart from reading records (docs/architecture.md, "The data-access rule").
--
-- shifou_limit_batch (migration 0009) checked the limits of the requests of one moment, read the
-- records of those that passed and observed the fresh ones for the detectors, all in one
-- statement: the limiter owned the records query, so no other kind of record source could answer
-- a lookup. shifou_admit does the limiter's part only: under the per-client lock it checks and
-- records the requests of one moment, and says which passed and which were fresh (a subject new
-- to the client today, or a name not tried against it today). The records are read by the
-- connectors (src/connectors/records.ts) once the request has passed, and a fresh request is
-- observed afterwards, off the answer's path (shifou_observe, migration 0008, in a batch).
--
-- A batch in which no client would be over any of its limits with every request counted is
-- recorded with one statement per table; otherwise it is checked request by request
-- (shifou_quota_check, migration 0008), in the order of the clients. The same transaction-level
-- lock per client serialises both paths across service processes (as in migration 0009).
--
-- Plans: every statement here takes arrays whose contents change with each call. PL/pgSQL made a
-- custom plan for each of them on every call (about 1.4 ms of PostgreSQL CPU per call at batch
-- size 1, measured on the bench database); a generic plan, made once per session, costs a third of
-- that. Sequential scans and hash and merge joins stay off so that the generic plans, made when
-- the usage tables may be nearly empty, reach every table through its index (migration 0009).
CREATE FUNCTION "shifou_admit"(p jsonb)
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
		FOR o IN SELECT (x.k - 1)::integer AS k, x.v FROM jsonb_array_elements(p) WITH ORDINALITY AS x(v, k) ORDER BY x.v->>'client', x.k LOOP
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
--> statement-breakpoint
-- The observation that shifou_observe makes of one fresh request, for the fresh requests of one
-- moment: each probe of a snapshot (when the request's own lookups did not find the subject) is
-- an index probe of that snapshot's partition, never a scan of the others.
ALTER FUNCTION "shifou_observe"(text, text, date, bytea, bytea, boolean, bigint[], text[])
	SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION "shifou_observe"(text, text, date, bytea, bytea, boolean, bigint[], text[])
	SET plan_cache_mode = force_generic_plan;
--> statement-breakpoint
-- Service processes of the previous version called these; nothing calls them now.
DROP FUNCTION IF EXISTS "shifou_limit_batch"(jsonb);
--> statement-breakpoint
DROP FUNCTION IF EXISTS "shifou_lookup_records"(jsonb);
