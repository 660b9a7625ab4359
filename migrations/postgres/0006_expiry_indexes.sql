-- The expiry sweep and the pruning of login failures end rows in batches, oldest first: each
-- batch finds its rows by index instead of reading the whole table.
CREATE INDEX sessions_started_at ON sessions (started_at);
CREATE INDEX login_failures_tat ON login_failures (tat);
