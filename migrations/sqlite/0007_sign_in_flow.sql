-- Sign-in as a flow the server owns (step-up, tickets for the code step, refresh tokens).

-- Bumped whenever the account's credentials change (the password, two-step on or off, a
-- passkey removed). A sign-in stores its session only if the generation it checked is still
-- the account's, in the same statement: a sign-in never outlives a password change.
ALTER TABLE users ADD COLUMN credential_generation INTEGER NOT NULL DEFAULT 0;

-- The session's last full authentication (every factor the account had), Unix seconds, and
-- how it was made (as signed_in_with says it): changes that need a recent one (step-up) read
-- them; re-authenticating moves them.
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN authenticated_with TEXT NOT NULL DEFAULT 'password';
UPDATE sessions SET authenticated_at = started_at, authenticated_with = signed_in_with;

-- The second step of a password sign-in: a right password on an account with two-step
-- verification gets a ticket, exchanged with a code. SHA-256 of the ticket (128 random bits);
-- never the password. Taken when the code is accepted, so it signs in once.
CREATE TABLE sign_in_tickets (
    digest                TEXT PRIMARY KEY,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_generation INTEGER NOT NULL,
    -- Unix seconds.
    expires_at            INTEGER NOT NULL
);
CREATE INDEX sign_in_tickets_expires_at ON sign_in_tickets (expires_at);

-- Refresh tokens of the sessions the pages begin: SHA-256 of each (256 random bits). Each is
-- used once (used_at set); presenting one already used ends its session (reuse detection).
-- They go with their session.
CREATE TABLE refresh_tokens (
    digest     TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    -- Unix seconds; NULL until used.
    used_at    INTEGER
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

-- A passkey ceremony may also re-authenticate a signed-in user (step-up). SQLite cannot alter a
-- CHECK constraint: the table (short-lived rows only) is made again.
CREATE TABLE ceremonies_new (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('registration', 'sign_in', 'reauthentication')),
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
INSERT INTO ceremonies_new SELECT id, kind, user_id, state, expires_at FROM ceremonies;
DROP TABLE ceremonies;
ALTER TABLE ceremonies_new RENAME TO ceremonies;
CREATE INDEX ceremonies_expires_at ON ceremonies (expires_at);
