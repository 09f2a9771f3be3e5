-- Version 1 of the PostgreSQL store: the schema of the SQLite store at its version 3, in
-- PostgreSQL's types (BYTEA bodies, identity keys), and a table of received bodies whose unique
-- key is what recognises a redelivery across every host. Text ids, millisecond Unix timestamps as
-- BIGINT, JSON as TEXT, as there: both stores read and write the same values. Ids compare byte
-- by byte (COLLATE "C"), as in SQLite, whatever the database's locale: they are time-ordered.

-- One received POST, kept as it arrived, with its metadata (JSON) stored once.
CREATE TABLE webhooks (
    id            TEXT COLLATE "C" PRIMARY KEY,
    source        TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    body          BYTEA NOT NULL,
    body_sha256   TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    metadata      TEXT NOT NULL DEFAULT '{}'
);

-- The newest webhook of each (source, body): the unique key makes two hosts that receive the
-- same body at once store it once. A body seen before `dedup_since` is taken over by the new
-- webhook (the old one is no longer a reason to refuse it).
CREATE TABLE webhook_bodies (
    source        TEXT NOT NULL,
    body_sha256   TEXT NOT NULL,
    webhook_id    TEXT COLLATE "C" NOT NULL
                  REFERENCES webhooks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (source, body_sha256)
);
CREATE INDEX webhook_bodies_by_webhook ON webhook_bodies (webhook_id);
CREATE INDEX webhooks_by_received ON webhooks (received_at);

-- One data item of a webhook: what a plugin receives.
CREATE TABLE events (
    id            TEXT COLLATE "C" PRIMARY KEY,
    webhook_id    TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    item_index    INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    prospect_id   TEXT,
    email         TEXT,
    occurred_at   BIGINT,
    received_at   BIGINT NOT NULL,
    item          TEXT NOT NULL
);
CREATE INDEX events_by_webhook ON events (webhook_id);
CREATE INDEX events_by_received ON events (received_at);
CREATE INDEX events_by_email ON events (email);

-- One event to one plugin: a queue row, claimed under a lease by one host of many.
CREATE TABLE deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         TEXT COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    plugin           TEXT NOT NULL,
    source           TEXT NOT NULL,
    prospect_id      TEXT,
    status           TEXT NOT NULL,
    origin           TEXT NOT NULL,
    replay_of        BIGINT REFERENCES deliveries (id) ON DELETE SET NULL,
    replayed_by      BIGINT REFERENCES deliveries (id) ON DELETE SET NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK (status IN ('pending', 'running', 'done', 'skipped', 'dead')),
    CHECK (origin IN ('ingest', 'replay', 'backfill'))
);
CREATE INDEX deliveries_due ON deliveries (plugin, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_open_by_prospect ON deliveries (plugin, source, prospect_id, id)
    WHERE status IN ('pending', 'running');
CREATE INDEX deliveries_running ON deliveries (lease_expires_at) WHERE status = 'running';
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_plugin ON deliveries (plugin, id);
CREATE INDEX deliveries_dead ON deliveries (plugin) WHERE status = 'dead' AND replayed_by IS NULL;
CREATE INDEX deliveries_replay_of ON deliveries (replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX deliveries_replayed_by ON deliveries (replayed_by) WHERE replayed_by IS NOT NULL;

-- One run of a plugin on a delivery.
CREATE TABLE attempts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   BIGINT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,
    plugin_hash   TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    duration_us   BIGINT NOT NULL,
    outcome       TEXT NOT NULL,
    detail        TEXT,
    logs          TEXT NOT NULL,
    requests      TEXT NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id);
CREATE INDEX attempts_by_started ON attempts (started_at);
