-- Version 1 of the store. Written for SQLite and PostgreSQL alike: integer keys, text ids,
-- millisecond Unix timestamps as 64-bit integers, no SQLite-only types. Where the two differ the
-- PostgreSQL form is noted.

-- One received POST, kept as it arrived.
CREATE TABLE webhooks (
    id            TEXT PRIMARY KEY,          -- time-ordered id, also the prefix of its event ids
    source        TEXT NOT NULL,             -- configured source whose token it came with
    received_at   BIGINT NOT NULL,
    body          BLOB NOT NULL,             -- PostgreSQL: BYTEA
    body_sha256   TEXT NOT NULL,             -- redelivery detection
    event_type    TEXT NOT NULL
);
CREATE INDEX webhooks_by_body ON webhooks (body_sha256, received_at);
CREATE INDEX webhooks_by_received ON webhooks (received_at);

-- One data item of a webhook: what a plugin receives.
CREATE TABLE events (
    id            TEXT PRIMARY KEY,          -- {webhook_id}:{index}
    webhook_id    TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    item_index    INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    prospect_id   TEXT,                      -- ordering key of its deliveries
    email         TEXT,
    occurred_at   BIGINT,
    received_at   BIGINT NOT NULL,
    metadata      TEXT NOT NULL,             -- JSON
    item          TEXT NOT NULL              -- JSON
);
CREATE INDEX events_by_webhook ON events (webhook_id);
CREATE INDEX events_by_type ON events (event_type, received_at);
CREATE INDEX events_by_received ON events (received_at);
CREATE INDEX events_by_email ON events (email);

-- One event to be handed to one plugin. A queue row: claimed under a lease, finished, or
-- rescheduled. Ids grow with insertion, which orders deliveries of one prospect to one plugin.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,    -- PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    plugin           TEXT NOT NULL,
    prospect_id      TEXT,                   -- copied from the event: the ordering key
    status           TEXT NOT NULL,          -- pending | running | done | skipped | dead
    origin           TEXT NOT NULL,          -- ingest | replay | backfill
    replay_of        INTEGER REFERENCES deliveries (id) ON DELETE SET NULL,
    replayed_by      INTEGER REFERENCES deliveries (id) ON DELETE SET NULL,  -- set on a replayed dead letter
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,                   -- instance holding a running delivery
    lease_expires_at BIGINT,                 -- after this, another instance may take it over
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK (status IN ('pending', 'running', 'done', 'skipped', 'dead')),
    CHECK (origin IN ('ingest', 'replay', 'backfill'))
);
CREATE INDEX deliveries_due ON deliveries (plugin, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_open_by_prospect ON deliveries (plugin, prospect_id, id)
    WHERE status IN ('pending', 'running');
CREATE INDEX deliveries_running ON deliveries (lease_expires_at) WHERE status = 'running';
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_status ON deliveries (status, plugin);
CREATE INDEX deliveries_by_plugin ON deliveries (plugin, id);
-- Deleting a delivery sets these to NULL where they point at it: without indexes, a full scan.
CREATE INDEX deliveries_replay_of ON deliveries (replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX deliveries_replayed_by ON deliveries (replayed_by) WHERE replayed_by IS NOT NULL;

-- One run of a plugin on a delivery.
CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY,       -- PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY
    delivery_id   INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,          -- 1 for the first
    plugin_hash   TEXT NOT NULL,             -- content hash of the plugin version that ran
    started_at    BIGINT NOT NULL,
    duration_us   BIGINT NOT NULL,
    outcome       TEXT NOT NULL,             -- done | skipped | retry | failed | fault
    detail        TEXT,                      -- the reason, or the fault
    logs          TEXT NOT NULL,             -- JSON array of log lines
    requests      TEXT NOT NULL              -- JSON array of outbound request records
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id);
CREATE INDEX attempts_by_started ON attempts (started_at);
