//! How an instance on PostgreSQL learns that a session ended through another instance: the
//! database announces every deleted session on a channel (a trigger, see
//! migrations/postgres/0003), and this task listens on a connection of its own and removes each
//! one from the cache.
//!
//! When that connection is lost, the cache stops being trusted at once (every token request
//! reads the database); trust comes back only once the channel is listened to again and the
//! cache has been emptied, since announcements made meanwhile were lost.

use super::cache::SessionCache;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::{sync::Arc, time::Duration};

pub const CHANNEL: &str = "rest_auth_session_ended";

/// `application_name` of the listening connection (for `pg_stat_activity`).
pub const APPLICATION_NAME: &str = "rest-auth listener";

/// Listens until the process ends, reconnecting with backoff.
pub fn spawn(options: PgConnectOptions, cache: Arc<SessionCache>) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options.application_name(APPLICATION_NAME));
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(100);
        loop {
            match listen(&pool).await {
                Ok(mut listener) => {
                    cache.set_trusted(true);
                    delay = Duration::from_millis(100);
                    let lost = loop {
                        match listener.try_recv().await {
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
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    });
}

async fn listen(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection is ours to notice: `try_recv` then returns at once, not after
    // reconnecting by itself.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
