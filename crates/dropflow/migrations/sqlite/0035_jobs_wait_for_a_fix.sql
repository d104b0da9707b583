-- A job that only a person can unblock (no Admin API access for its store, a supplier or the
-- carrier tracking service not configured) is kept failed at once and names what it waits
-- for; setting that puts every job waiting for it back in the queue.
ALTER TABLE jobs ADD COLUMN waits_for TEXT;
CREATE INDEX jobs_waiting ON jobs (waits_for) WHERE waits_for IS NOT NULL;
