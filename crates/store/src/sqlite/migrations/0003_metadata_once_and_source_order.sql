-- Version 3: a webhook's metadata is stored once, on the webhook, instead of once per event; and
-- deliveries are ordered per (source, prospect), not per prospect alone.
--
-- Metadata: a webhook of N items stored its metadata N times (a 20 KB metadata field and 30,000
-- items made 600 MB of copies). Events now reference it through `webhook_id`; claims and the admin
-- API read it by join. An existing database keeps each webhook's metadata as its first event had
-- it; a webhook without events (an empty `data`) gets '{}', which nothing reads.
--
-- Order: two sources (two SmartReach accounts) can share prospect ids, so a prospect id alone let
-- one account's failing prospect hold back another account's events. `deliveries.source` is
-- copied from the webhook like `prospect_id` is from the event, so that the head-of-line check
-- stays one index lookup.
--
-- Both carry over to PostgreSQL as written (ALTER TABLE ... ADD COLUMN / DROP COLUMN, correlated
-- UPDATEs). SQLite's DROP COLUMN rewrites the events table; the space is reused by later writes
-- (run VACUUM to give it back to the file system).
ALTER TABLE webhooks ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';   -- JSON
UPDATE webhooks SET metadata = COALESCE(
    (SELECT e.metadata FROM events e WHERE e.webhook_id = webhooks.id ORDER BY e.item_index LIMIT 1),
    '{}');
ALTER TABLE events DROP COLUMN metadata;

ALTER TABLE deliveries ADD COLUMN source TEXT NOT NULL DEFAULT '';     -- with prospect_id, the ordering key
UPDATE deliveries SET source = COALESCE(
    (SELECT w.source FROM events e JOIN webhooks w ON w.id = e.webhook_id
     WHERE e.id = deliveries.event_id),
    '');
DROP INDEX deliveries_open_by_prospect;
CREATE INDEX deliveries_open_by_prospect ON deliveries (plugin, source, prospect_id, id)
    WHERE status IN ('pending', 'running');
