-- Sessions: one per password sign-in. Each token names its session (`sid`) and is accepted
-- only while the session's row exists; ending a session deletes it.
CREATE TABLE sessions (
    -- 128 random bits, hex. Not a credential on its own: tokens are signed.
    id           TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Unix seconds. The absolute lifetime counts from started_at.
    started_at   INTEGER NOT NULL,
    -- Updated lazily, at most about once a minute per session.
    last_used_at INTEGER NOT NULL,
    -- Where the sign-in came from, and a short label of the browser ("Firefox on Linux").
    address      TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Sessions replace the per-user token version: ending sessions is how tokens are revoked.
ALTER TABLE users DROP COLUMN token_version;
