-- Sign-in as a flow the server owns, as migrations/sqlite/0007.
ALTER TABLE users ADD COLUMN credential_generation BIGINT NOT NULL DEFAULT 0;

ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN authenticated_with TEXT NOT NULL DEFAULT 'password';
UPDATE sessions SET authenticated_at = started_at, authenticated_with = signed_in_with;

CREATE TABLE sign_in_tickets (
    digest                TEXT PRIMARY KEY,
    user_id               BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_generation BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL
);
CREATE INDEX sign_in_tickets_expires_at ON sign_in_tickets (expires_at);

CREATE TABLE refresh_tokens (
    digest     TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

ALTER TABLE ceremonies DROP CONSTRAINT ceremonies_kind_check;
ALTER TABLE ceremonies ADD CONSTRAINT ceremonies_kind_check
    CHECK (kind IN ('registration', 'sign_in', 'reauthentication'));

-- The brute-force counts in microseconds (whole numbers, as the instances compute them: no
-- rounding at a limit's edge). The counts in flight are dropped: they were at most a window old.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    -- The key's theoretical arrival time, microseconds since the Unix epoch.
    tat BIGINT NOT NULL
);
CREATE INDEX login_failures_tat ON login_failures (tat);
