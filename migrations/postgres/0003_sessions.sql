-- Sessions, as migrations/sqlite/0003: one per password sign-in; a token is accepted only
-- while its session's row exists, and ending a session deletes it.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    address      TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Every instance keeps the sessions it has checked in memory. The database itself announces
-- each ended session on this channel, in the transaction that ends it (however it ends: a
-- logout, a password change, expiry, or its account's deletion cascading here), and every
-- instance listening forgets it.
CREATE FUNCTION announce_session_end() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('rest_auth_session_ended', OLD.id);
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER sessions_announce_end AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION announce_session_end();

-- Failed password checks, counted for all instances together (one process per SQLite file
-- counts in memory instead). A generic cell rate algorithm: `tat` is the key's theoretical
-- arrival time in Unix seconds; a key is locked while tat is further ahead of now than the
-- limit allows. Rows whose tat has passed are pruned.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    tat DOUBLE PRECISION NOT NULL
);

ALTER TABLE users DROP COLUMN token_version;
