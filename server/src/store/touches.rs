//! Sessions' last use, written to the database by one background task at most once a minute per
//! session, so the token path never waits for a write. The queue is bounded: when the database
//! is slower than the uses, a use is dropped, which only costs the accuracy of "last used".
//! The writer takes whatever is queued, up to [`BATCH`] uses, and writes them in one statement
//! (PostgreSQL) or one transaction (SQLite): 300,000 active sessions are 5,000 uses a second
//! per instance, which one statement each could not keep up with.

use super::{Pool, Store};
use crate::tasks::Stop;
use tokio::sync::mpsc;

/// Uses waiting to be written; far more than one writer falls behind by in normal operation.
const QUEUE: usize = 4096;

/// Uses written at once.
const BATCH: usize = 1_000;

/// A use of session `id` at `at` (Unix seconds).
pub struct Touch {
    id: String,
    at: i64,
}

#[derive(Clone)]
pub struct Sender(mpsc::Sender<Touch>);
pub struct Receiver(mpsc::Receiver<Touch>);

pub fn channel() -> (Sender, Receiver) {
    let (sender, receiver) = mpsc::channel(QUEUE);
    (Sender(sender), Receiver(receiver))
}

impl Sender {
    /// Queues the use without waiting.
    pub fn send(&self, id: &str, at: i64) {
        let touch = Touch {
            id: id.to_owned(),
            at,
        };
        if self.0.try_send(touch).is_err() {
            tracing::debug!("last-use queue full or closed; a use was not recorded");
        }
    }
}

/// Writes the queued uses, a batch at a time, until stopping, then what is still queued.
pub async fn write(store: Store, Receiver(mut queue): Receiver, mut stop: Stop) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            received = queue.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    return;
                }
                record(&store, &mut batch).await;
            }
            () = stop.requested() => break,
        }
    }
    queue.close();
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        record(&store, &mut batch).await;
    }
}

/// Writes `batch` and empties it. A failure only costs the accuracy of "last used", so it is
/// logged and dropped.
async fn record(store: &Store, batch: &mut Vec<Touch>) {
    let written = match &store.pool {
        Pool::Postgres(pool) => {
            let (ids, ats): (Vec<String>, Vec<i64>) =
                batch.drain(..).map(|touch| (touch.id, touch.at)).unzip();
            sqlx::query(
                "UPDATE sessions AS s SET last_used_at = t.at \
                 FROM unnest($1::text[], $2::bigint[]) AS t (id, at) \
                 WHERE s.id = t.id AND s.last_used_at < t.at",
            )
            .bind(ids)
            .bind(ats)
            .execute(pool)
            .await
            .map(drop)
        }
        Pool::Sqlite(pool) => write_sqlite(pool, batch.drain(..)).await,
    };
    if let Err(error) = written {
        tracing::warn!(%error, "recording sessions' last use failed");
    }
}

async fn write_sqlite(
    pool: &sqlx::SqlitePool,
    touches: impl Iterator<Item = Touch> + Send,
) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    for touch in touches {
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1")
            .bind(touch.at)
            .bind(&touch.id)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await
}
