-- A subject's row of the day (client, day, subject) must be found through the primary key. The
-- prefix index led with (client, day) too, the planner took it on a tie, and every limiter check and
-- detector observation then read all the subjects the client had asked about that day: a cost that
-- grew with the day's volume. The prefix now comes second. The organisation index served queries
-- that usage_org_daily replaced (migration 0005) and only cost a write per new subject.
DROP INDEX "usage_subjects_prefix_idx";--> statement-breakpoint
DROP INDEX "usage_subjects_org_idx";--> statement-breakpoint
CREATE INDEX "usage_subjects_client_prefix_idx" ON "usage_subjects" USING btree ("client_id","prefix","day");
