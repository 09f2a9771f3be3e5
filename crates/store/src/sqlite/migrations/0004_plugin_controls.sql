-- Version 4: the delivery controls an operator sets per plugin, shared by everything that claims.
-- `paused_at` is set while the plugin is paused (its deliveries are not claimed), NULL otherwise.
-- `held_until` holds its deliveries back until then, as the host decided (`held_because`: its
-- upstream asked to wait, or its circuit breaker opened).
-- `rate_tokens` is the plugin's rate-limit budget (`limits.rate`) as it was at `rate_at`: a token
-- bucket that every claimer spends, one token per delivery claimed.
CREATE TABLE plugin_controls (
    plugin      TEXT PRIMARY KEY,
    paused_at   BIGINT,
    held_until  BIGINT,
    held_because TEXT,
    rate_tokens REAL,
    rate_at     BIGINT,
    updated_at  BIGINT NOT NULL
);
