-- Version 2: fewer indexes on the write path, and none that no query reads.
--
-- deliveries_by_status (status, plugin) changed on every claim and every outcome (a delete and an
-- insert each) and served one query, the queue depth, which the partial indexes below and those of
-- version 1 answer as well. Dead letters get their own small partial index.
DROP INDEX deliveries_by_status;
CREATE INDEX deliveries_dead ON deliveries (plugin) WHERE status = 'dead' AND replayed_by IS NULL;

-- events_by_type (event_type, received_at) was written with every event and read by no query:
-- the admin list walks the primary key newest first and stops after a page of matches.
DROP INDEX events_by_type;
