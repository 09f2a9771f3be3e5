-- Version 3: indexes for the console's reads (issue 12), each written only where it is read (two
-- of the SQLite store's version 5; its third, skipped deliveries per plugin, serves a count that
-- PostgreSQL makes in one pass over the table).
--
-- The attempts per minute by outcome (the overview's chart) can be read from the time index
-- alone (an index-only scan): it now holds the outcome too.
DROP INDEX attempts_by_started;
CREATE INDEX attempts_by_started ON attempts (started_at, outcome);

-- A plugin's last error walks the unsuccessful attempts newest first, not every attempt. Written
-- once per unsuccessful attempt. The list is `AttemptOutcome::is_error`'s.
CREATE INDEX attempts_errors ON attempts (id) WHERE outcome IN ('retry', 'failed', 'fault');
