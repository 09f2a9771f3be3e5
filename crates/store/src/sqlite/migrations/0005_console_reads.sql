-- Version 5: indexes for the console's reads (issue 12), each written only where it is read.
--
-- The attempts per minute by outcome (the overview's chart) are read from the time index alone:
-- it now holds the outcome too (attempts are written once, so this costs a few bytes a row).
DROP INDEX attempts_by_started;
CREATE INDEX attempts_by_started ON attempts (started_at, outcome);

-- A plugin's last error walks the unsuccessful attempts newest first, not every attempt. Written
-- once per unsuccessful attempt. The list is `AttemptOutcome::is_error`'s: a query must name the
-- same outcomes for SQLite to use it.
CREATE INDEX attempts_errors ON attempts (id) WHERE outcome IN ('retry', 'failed', 'fault');

-- Skipped deliveries per plugin: a delivery enters it once, when its plugin skips it (skipped
-- is final). With the other per-status indexes and `deliveries_by_plugin`, a plugin's
-- deliveries are counted by status without reading the table.
CREATE INDEX deliveries_skipped ON deliveries (plugin) WHERE status = 'skipped';
