-- The OpenID Connect provider, as migrations/sqlite/0008: other applications (clients) sign their users in here.

-- The keys ID tokens and clients' access tokens are signed with (RS256). The public half as a
-- JWK (published at the JWKS URI); the private half, PKCS#1 DER, sealed under SECRET_KEY like
-- the two-step secrets. A key signs from active_from (published before then, so that every
-- instance and every relying party has it first) until retired_at (when its successor
-- becomes active); it is published until every token it signed has expired, then deleted.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    private_key TEXT NOT NULL,
    -- Unix seconds.
    created_at  BIGINT NOT NULL,
    active_from BIGINT NOT NULL,
    retired_at  BIGINT
);

-- Applications registered by the operator (`rest-auth client add`). A confidential client's
-- secret is kept as its SHA-256 (256 random bits: a copy of the table authenticates nobody);
-- a public client has none and must use PKCE.
CREATE TABLE clients (
    client_id                 TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    secret_digest             TEXT,
    -- JSON arrays of absolute URIs, compared exactly.
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    created_at                BIGINT NOT NULL
);

-- An authorization request whose client and redirect URI checked out, between the client's
-- redirect here and the person's answer on our pages (at most ten minutes).
CREATE TABLE authorization_requests (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    state          TEXT,
    nonce          TEXT,
    code_challenge TEXT,
    prompt         TEXT,
    max_age        BIGINT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX authorization_requests_expires_at ON authorization_requests (expires_at);

-- Authorization codes: SHA-256 of each (256 random bits), bound to the client, the redirect
-- URI and the PKCE challenge; at most 60 seconds; used once (used_at). The session the first
-- use began is kept: a second use ends it (RFC 6749 4.1.2).
CREATE TABLE authorization_codes (
    digest                TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id               BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    nonce                 TEXT,
    code_challenge        TEXT,
    -- The authentication the code carries (the browser session's last full one), and the
    -- account's credential generation then: a password changed since refuses the exchange.
    authenticated_at      BIGINT NOT NULL,
    authenticated_with    TEXT NOT NULL,
    credential_generation BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL,
    used_at               BIGINT,
    session_id            TEXT
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

-- An application's sign-out (RP-initiated logout) between its redirect here and our
-- `/signed-out` page, which ends the browser's own session and then sends it on: where to (a
-- post-logout redirect URI the client registered, with its state), for ten minutes. `hinted`:
-- it came with an ID token of ours, so the person asked for it; without one the page asks
-- before signing out (anyone can link to the logout endpoint).
CREATE TABLE logout_requests (
    id          TEXT PRIMARY KEY,
    redirect_to TEXT,
    hinted      BOOLEAN NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- What a person allowed an application (asked once, remembered until removed from /account).
CREATE TABLE consents (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- A session an application holds for a person (begun by exchanging a code): its refresh
-- tokens and access tokens go with it, and it ends with the consent or the client. `scope`:
-- what it was granted (space-separated).
ALTER TABLE sessions ADD COLUMN client_id TEXT REFERENCES clients (client_id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN scope TEXT;
CREATE INDEX sessions_client_id ON sessions (client_id);
