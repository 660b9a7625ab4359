//! How an instance on PostgreSQL learns that a session ended through another instance: the
//! database announces every deleted session on a channel (a trigger, see
//! migrations/postgres/0003), and this task listens on a connection of its own and removes each
//! one from the cache.
//!
//! When that connection is lost, the cache stops being trusted at once (every token request
//! reads the database); trust comes back only once the channel is listened to again and the
//! cache has been emptied, since announcements made meanwhile were lost.

use super::cache::SessionCache;
use crate::tasks::Stop;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::{sync::Arc, time::Duration};

pub const CHANNEL: &str = "rest_auth_session_ended";

/// `application_name` of the listening connection (for `pg_stat_activity`).
pub const APPLICATION_NAME: &str = "rest-auth listener";

/// Listens until stopping, reconnecting with backoff.
pub async fn listen(options: PgConnectOptions, cache: Arc<SessionCache>, mut stop: Stop) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options.application_name(APPLICATION_NAME));
    let mut delay = Duration::from_millis(100);
    'listening: loop {
        let connected = tokio::select! {
            connected = subscribe(&pool) => connected,
            () = stop.requested() => break 'listening,
        };
        match connected {
            Ok(mut listener) => {
                cache.set_trusted(true);
                delay = Duration::from_millis(100);
                let lost = loop {
                    let received = tokio::select! {
                        received = listener.try_recv() => received,
                        () = stop.requested() => break 'listening,
                    };
                    match received {
                        Ok(Some(notification)) => cache.remove(notification.payload()),
                        Ok(None) => break "connection lost".to_string(),
                        Err(error) => break error.to_string(),
                    }
                };
                cache.set_trusted(false);
                tracing::warn!(
                    %lost,
                    "stopped hearing about ended sessions; reading them from the database \
                     until listening again"
                );
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for ended sessions; retrying");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.requested() => break 'listening,
                }
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
    pool.close().await;
}

async fn subscribe(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection is ours to notice: `try_recv` then returns at once, not after
    // reconnecting by itself.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
