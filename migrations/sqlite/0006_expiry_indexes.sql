-- The expiry sweep ends sessions in batches, oldest first: each batch finds its rows by index
-- instead of reading the whole table.
CREATE INDEX sessions_started_at ON sessions (started_at);
