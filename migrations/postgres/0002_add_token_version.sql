-- Revocation (as migrations/sqlite/0002): tokens carry the version they were issued at and are
-- accepted only while it still matches; logout and password change add one.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
