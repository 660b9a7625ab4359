-- Revocation. Every token carries the user's token_version at the time it was issued and is
-- accepted only while it still matches, so logging out everywhere or changing the password
-- (which add one) revokes every token issued before, and nothing else has to be stored.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
