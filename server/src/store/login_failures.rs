//! Failed password checks counted in PostgreSQL, so that the limits are totals over every
//! instance sharing the database (see auth/throttle.rs for the rule, the migration for the
//! table). Each operation is one statement.

use super::StoreError;
use sqlx::PgPool;

/// One key's share of a failure: it pushes the key's theoretical arrival time `period`
/// seconds further, and never more than `window` seconds ahead of now.
#[derive(Clone, Copy, Debug)]
pub struct FailureKey<'a> {
    pub key: &'a str,
    pub period: f64,
    pub window: f64,
}

/// The shared counts.
#[derive(Clone)]
pub struct FailureCounter {
    pool: PgPool,
}

impl FailureCounter {
    pub(super) fn new(pool: PgPool) -> Self {
        FailureCounter { pool }
    }

    /// How far each key's theoretical arrival time is ahead of now, in seconds (0 for a key
    /// without recent failures). Reads only.
    pub async fn ahead(&self, keys: [&str; 2]) -> Result<[f64; 2], StoreError> {
        let rows = sqlx::query_as::<_, (String, f64)>(
            "SELECT key, tat - extract(epoch FROM now())::float8 FROM login_failures \
             WHERE key = $1 OR key = $2",
        )
        .bind(keys[0])
        .bind(keys[1])
        .fetch_all(&self.pool)
        .await?;
        let ahead = |key: &str| {
            rows.iter()
                .find(|(k, _)| k == key)
                .map_or(0.0, |(_, ahead)| ahead.max(0.0))
        };
        Ok([ahead(keys[0]), ahead(keys[1])])
    }

    /// Counts one failure for both keys at once, atomically, and returns how far each is
    /// ahead of now afterwards.
    pub async fn add(&self, keys: [FailureKey<'_>; 2]) -> Result<[f64; 2], StoreError> {
        // Two upserts in one statement (their keys differ); the database's clock for both.
        let (a, b) = sqlx::query_as::<_, (f64, f64)>(
            "WITH now AS (SELECT extract(epoch FROM now())::float8 AS t), \
             first AS (INSERT INTO login_failures AS f (key, tat) \
                SELECT $1, t + $2 FROM now \
                ON CONFLICT (key) DO UPDATE \
                SET tat = least(greatest(f.tat, (SELECT t FROM now)) + $2, (SELECT t FROM now) + $3) \
                RETURNING tat), \
             second AS (INSERT INTO login_failures AS f (key, tat) \
                SELECT $4, t + $5 FROM now \
                ON CONFLICT (key) DO UPDATE \
                SET tat = least(greatest(f.tat, (SELECT t FROM now)) + $5, (SELECT t FROM now) + $6) \
                RETURNING tat) \
             SELECT (SELECT tat FROM first) - t, (SELECT tat FROM second) - t FROM now",
        )
        .bind(keys[0].key)
        .bind(keys[0].period)
        .bind(keys[0].window)
        .bind(keys[1].key)
        .bind(keys[1].period)
        .bind(keys[1].window)
        .fetch_one(&self.pool)
        .await?;
        Ok([a, b])
    }

    /// Forgets keys whose failures have all been paid back, a batch of at most `limit` at a
    /// time (each a short transaction: a flood's many keys never hold locks for long); how many.
    pub async fn prune(&self, limit: u32) -> Result<u64, StoreError> {
        let mut pruned = 0;
        loop {
            let batch = sqlx::query(
                "DELETE FROM login_failures WHERE key IN \
                 (SELECT key FROM login_failures WHERE tat < extract(epoch FROM now()) LIMIT $1)",
            )
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await?
            .rows_affected();
            pruned += batch;
            if batch < u64::from(limit) {
                return Ok(pruned);
            }
            tokio::task::yield_now().await;
        }
    }
}
