-- Accounts; the same constraints as migrations/sqlite. Identity values are never handed out
-- twice: a token names its user by id, and must never start working for a later account.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 32),
    -- argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Unique without regard to case ("Miguel" and "miguel" are one name), decided by the index so
-- two concurrent registrations of one name give exactly one row, whichever instance got them.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
