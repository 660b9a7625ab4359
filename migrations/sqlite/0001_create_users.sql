-- Accounts. AUTOINCREMENT (not just INTEGER PRIMARY KEY) so an id is never handed out twice:
-- a token names its user by id, and must never start working for a later account.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NOCASE: "Miguel" and "miguel" are one name, so nobody can register a look-alike.
    username      TEXT NOT NULL COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 32),
    -- argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Uniqueness lives in the database, not in a check-then-insert, so two concurrent
-- registrations of one name give exactly one row.
CREATE UNIQUE INDEX users_username_key ON users (username);
