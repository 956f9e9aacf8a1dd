-- A subject's row of the day (client, day, subject) must be found through the primary key. The
-- prefix index led with the client (migration 0007), so a plan that PL/pgSQL made and kept while
-- usage_subjects was small could take it for that lookup with the client alone as its condition,
-- and then read every subject the client had asked about that day: measured in shifou_admit's
-- generic plan, 77,000 buffers and 44 ms for a batch of 16 after 4,800 subjects, growing all day.
-- With the prefix first, the index serves only the detectors' count of one prefix.
DROP INDEX "usage_subjects_client_prefix_idx";--> statement-breakpoint
CREATE INDEX "usage_subjects_prefix_idx" ON "usage_subjects" USING btree ("prefix","client_id","day");
