-- Passkeys (WebAuthn) beside the password.

-- The user handle a passkey carries (WebAuthn's user.id): 128 random bits, hex. Random rather
-- than the numeric id, so a passkey tells nothing about the account's place in the table.
-- SQLite cannot add a NOT NULL column with a computed default; the store always writes one.
ALTER TABLE users ADD COLUMN user_handle TEXT;
UPDATE users SET user_handle = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX users_user_handle_key ON users (user_handle);

CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The credential id, base64url: unique across every account.
    credential_id TEXT NOT NULL,
    name          TEXT NOT NULL,
    -- webauthn-rs's Passkey as JSON (public key, signature counter); rewritten when it changes.
    passkey       TEXT NOT NULL,
    -- Unix seconds.
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE UNIQUE INDEX passkeys_credential_id_key ON passkeys (credential_id);
CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- A passkey ceremony (adding one, or signing in) between its begin and its finish. Taken with
-- DELETE ... RETURNING when finished, so each is finished at most once, by any instance.
CREATE TABLE ceremonies (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('registration', 'sign_in')),
    -- The account adding a passkey; NULL for a sign-in (nobody is known yet).
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX ceremonies_expires_at ON ceremonies (expires_at);

-- How each session began: 'password' or 'passkey'.
ALTER TABLE sessions ADD COLUMN signed_in_with TEXT NOT NULL DEFAULT 'password';
