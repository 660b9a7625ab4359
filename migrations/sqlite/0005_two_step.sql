-- Two-step verification: a code from an authenticator app (TOTP, RFC 6238), and recovery codes.

-- One row per account that has begun or finished setting it up.
CREATE TABLE two_step (
    user_id        INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- The authenticator app's secret, sealed with AES-256-GCM under a key derived from
    -- SECRET_KEY (base64 of nonce and ciphertext); NULL until a first code confirms it.
    secret         TEXT,
    -- A secret being set up: begun, not yet confirmed. A new begin replaces it.
    pending_secret TEXT,
    -- The time step (Unix seconds / 30) of the last code accepted: no code of that step or an
    -- earlier one is accepted again. Moved forward with a conditional UPDATE, so two requests
    -- (on any instances) cannot both use one code.
    last_step      INTEGER NOT NULL DEFAULT 0,
    -- Unix seconds; NULL while only pending.
    turned_on_at   INTEGER
);

-- Single-use recovery codes: SHA-256 of each (120 random bits, so a fast hash is enough,
-- ASVS 5.0 6.5.2). A code used is a row deleted.
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest  TEXT NOT NULL,
    PRIMARY KEY (user_id, digest)
);
