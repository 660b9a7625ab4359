-- Two-step verification, as migrations/sqlite/0005.
CREATE TABLE two_step (
    user_id        BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         TEXT,
    pending_secret TEXT,
    last_step      BIGINT NOT NULL DEFAULT 0,
    turned_on_at   BIGINT
);

CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest  TEXT NOT NULL,
    PRIMARY KEY (user_id, digest)
);
