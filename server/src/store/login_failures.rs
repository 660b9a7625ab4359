//! The brute-force counts kept in PostgreSQL, so that the limits are totals over every
//! instance sharing the database. The rule is auth/throttle.rs's `take`, which the statements
//! here mirror; the table is the migration's. Times are microseconds since the Unix epoch, as
//! the instance passes them.

use super::StoreError;
use sqlx::PgPool;

/// Microseconds since the Unix epoch, or a span of them.
type Micros = i64;

/// One key of a guess: its name, and the limit it counts against (a cell is paid back after
/// `period`; at most `window` ahead of now).
#[derive(Clone, Copy, Debug)]
pub struct FailureKey<'a> {
    pub key: &'a str,
    pub period: Micros,
    pub window: Micros,
}

/// The shared counts.
#[derive(Clone)]
pub struct FailureCounter {
    pool: PgPool,
}

/// Takes a cell of key `$1` at `$7` if its bucket has one (`take`: the TAT moves to
/// `greatest(tat, now) + period` when that is at most `window` ahead of now), and the same for
/// key `$4`, each in one upsert, which locks the key's row: of concurrent statements on one key,
/// each sees the TAT the previous one left. A row comes back from `first` or `second` only
/// when its cell was taken; the plain reads see the TATs as they were before.
const TAKE_BOTH: &str = "\
    WITH first AS ( \
        INSERT INTO login_failures AS f (key, tat) VALUES ($1, $7 + $2) \
        ON CONFLICT (key) DO UPDATE SET tat = greatest(f.tat, $7) + $2 \
        WHERE greatest(f.tat, $7) + $2 - $7 <= $3 \
        RETURNING tat), \
    second AS ( \
        INSERT INTO login_failures AS f (key, tat) VALUES ($4, $7 + $5) \
        ON CONFLICT (key) DO UPDATE SET tat = greatest(f.tat, $7) + $5 \
        WHERE greatest(f.tat, $7) + $5 - $7 <= $6 \
        RETURNING tat) \
    SELECT (SELECT tat FROM first), (SELECT tat FROM second), \
        (SELECT tat FROM login_failures WHERE key = $1), \
        (SELECT tat FROM login_failures WHERE key = $4)";

/// Pays one cell back to each of two keys. Their rows are locked in the order `TAKE_BOTH`
/// locks them (the username's first), so a give-back and a take of the same keys never wait
/// for each other in a circle.
const GIVE_BACK: &str = "\
    WITH locked AS ( \
        SELECT key FROM login_failures WHERE key = $1 OR key = $3 \
        ORDER BY key = $1 DESC FOR UPDATE) \
    UPDATE login_failures AS f SET tat = f.tat - CASE WHEN f.key = $1 THEN $2 ELSE $4 END \
    FROM locked WHERE f.key = locked.key";

impl FailureCounter {
    pub(super) fn new(pool: PgPool) -> Self {
        FailureCounter { pool }
    }

    /// Takes a cell of both keys at `now`, or of neither: their new TATs, or how long until
    /// both have a cell again. When only one had a cell left, the cell taken is paid back at
    /// once (a second statement, only on the way to a 429).
    pub async fn take_both(
        &self,
        keys: [FailureKey<'_>; 2],
        now: Micros,
    ) -> Result<Result<[Micros; 2], Micros>, StoreError> {
        let (first, second, first_before, second_before) = sqlx::query_as::<
            _,
            (
                Option<Micros>,
                Option<Micros>,
                Option<Micros>,
                Option<Micros>,
            ),
        >(TAKE_BOTH)
        .bind(keys[0].key)
        .bind(keys[0].period)
        .bind(keys[0].window)
        .bind(keys[1].key)
        .bind(keys[1].period)
        .bind(keys[1].window)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        if let (Some(first), Some(second)) = (first, second) {
            return Ok(Ok([first, second]));
        }
        if first.is_some() || second.is_some() {
            let period = |i: usize, taken: Option<Micros>| match taken {
                Some(_) => keys[i].period,
                None => 0,
            };
            self.pay_back(keys, [period(0, first), period(1, second)])
                .await?;
        }
        // How long until each refused key has a cell again (as `take` says it). A key another
        // statement created after this one's snapshot has no TAT to read: a period will do.
        let wait = |key: &FailureKey, tat: Option<Micros>| {
            tat.map_or(key.period, |tat| {
                tat.max(now) + key.period - key.window - now
            })
        };
        Ok(Err(match (first, second) {
            (None, None) => wait(&keys[0], first_before).max(wait(&keys[1], second_before)),
            (None, _) => wait(&keys[0], first_before),
            _ => wait(&keys[1], second_before),
        }))
    }

    /// Pays one cell back to both keys: the guess that took them was right.
    pub async fn give_back(&self, keys: [FailureKey<'_>; 2]) -> Result<(), StoreError> {
        self.pay_back(keys, [keys[0].period, keys[1].period]).await
    }

    async fn pay_back(
        &self,
        keys: [FailureKey<'_>; 2],
        amounts: [Micros; 2],
    ) -> Result<(), StoreError> {
        sqlx::query(GIVE_BACK)
            .bind(keys[0].key)
            .bind(amounts[0])
            .bind(keys[1].key)
            .bind(amounts[1])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets keys whose buckets had refilled by `now`, a batch of at most `limit` at a time
    /// (each a short transaction: a flood's many keys never hold locks for long); how many.
    pub async fn prune(&self, now: Micros, limit: u32) -> Result<u64, StoreError> {
        let mut pruned = 0;
        loop {
            let batch = sqlx::query(
                "DELETE FROM login_failures WHERE key IN \
                 (SELECT key FROM login_failures WHERE tat <= $1 LIMIT $2)",
            )
            .bind(now)
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
