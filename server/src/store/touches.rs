//! Sessions' last use, written to the database by one background task at most once a minute per
//! session, so the token path never waits for a write. The queue is bounded: when the database
//! is slower than the uses, a use is dropped, which only costs the accuracy of "last used".

use super::{on_pool, Store};
use crate::tasks::Stop;
use tokio::sync::mpsc;

/// Uses waiting to be written; far more than one writer falls behind by in normal operation.
const QUEUE: usize = 4096;

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

/// Writes each queued use until stopping, then what is still queued.
pub async fn write(store: Store, Receiver(mut queue): Receiver, mut stop: Stop) {
    loop {
        tokio::select! {
            touch = queue.recv() => match touch {
                Some(touch) => record(&store, touch).await,
                None => return,
            },
            () = stop.requested() => break,
        }
    }
    queue.close();
    while let Some(touch) = queue.recv().await {
        record(&store, touch).await;
    }
}

/// A failure only costs the accuracy of "last used", so it is logged and dropped.
async fn record(store: &Store, touch: Touch) {
    let written = on_pool!(store, |pool| {
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1")
            .bind(touch.at)
            .bind(&touch.id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    });
    if let Err(error) = written {
        tracing::warn!(%error, "recording a session's last use failed");
    }
}
