-- Version 2: the delivery controls an operator sets per plugin, shared by every host on the
-- database (the SQLite store's version 4). `paused_at` is set while the plugin is paused (no host
-- claims its deliveries), NULL otherwise.
-- `held_until` holds its deliveries back until then, as the host decided (`held_because`: its
-- upstream asked to wait, or its circuit breaker opened).
-- `rate_tokens` is the plugin's rate-limit budget (`limits.rate`) as it was at `rate_at`: a token
-- bucket that every claimer spends, one token per delivery claimed.
CREATE TABLE plugin_controls (
    plugin      TEXT COLLATE "C" PRIMARY KEY,
    paused_at   BIGINT,
    held_until  BIGINT,
    held_because TEXT,
    rate_tokens DOUBLE PRECISION,
    rate_at     BIGINT,
    updated_at  BIGINT NOT NULL
);
