//! Refresh tokens: how a page whose access token expired (a laptop that slept) gets a new one
//! without asking the person again, within its session's lifetime. Stored as SHA-256 digests
//! (each token has 256 random bits), one row per token issued, with the session it renews; each
//! is used once (RFC 9700 4.14.2: rotation), and one used again after a grace period ends its
//! session (reuse detection: one of its two holders is not the owner). The rows go with the
//! session.

use super::{cache::ActiveSession, on_pool, Store, StoreError};

/// What presenting a refresh token did.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was the session's current one: `new` replaces it.
    Rotated(ActiveSession),
    /// Used already, within the grace period: another tab of the same browser, most likely,
    /// renewed at the same moment. Nothing changes; the client reads the new one it stored.
    JustUsed,
    /// Used already, before the grace period: its session has ended (its id and user).
    Reused { session_id: String, user_id: i64 },
    /// Not a token of a live session.
    Unknown,
}

/// Where the transaction of a rotation left off.
enum Step {
    /// The token was rotated in this live session.
    Rotated(String),
    Done(Rotation),
}

impl Store {
    /// Adds a refresh token (its digest) to live session `session_id`; whether the session was
    /// still there.
    pub async fn add_refresh_token(
        &self,
        session_id: &str,
        digest: &str,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO refresh_tokens (digest, session_id) \
                 SELECT $1, id FROM sessions WHERE id = $2",
            )
            .bind(digest)
            .bind(session_id)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// Uses the refresh token `old` at `now`: when it is unused, `new` takes its place, in one
    /// transaction that starts with the write (so two uses of one token on any instances
    /// cannot both succeed). One used `grace` seconds ago or less is [`Rotation::JustUsed`];
    /// one used longer ago ends its session.
    pub async fn rotate_refresh_token(
        &self,
        old: &str,
        new: &str,
        now: i64,
        grace: i64,
    ) -> Result<Rotation, StoreError> {
        let rotation = on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let used = sqlx::query_scalar::<_, String>(
                "UPDATE refresh_tokens SET used_at = $1 WHERE digest = $2 AND used_at IS NULL \
                 RETURNING session_id",
            )
            .bind(now)
            .bind(old)
            .fetch_optional(&mut *transaction)
            .await?;
            let rotation = match used {
                Some(session_id) => {
                    let added = sqlx::query(
                        "INSERT INTO refresh_tokens (digest, session_id) \
                         SELECT $1, id FROM sessions WHERE id = $2",
                    )
                    .bind(new)
                    .bind(&session_id)
                    .execute(&mut *transaction)
                    .await?
                    .rows_affected();
                    if added == 1 {
                        Step::Rotated(session_id)
                    } else {
                        Step::Done(Rotation::Unknown)
                    }
                }
                None => {
                    let earlier = sqlx::query_as::<_, (String, Option<i64>)>(
                        "SELECT session_id, used_at FROM refresh_tokens WHERE digest = $1",
                    )
                    .bind(old)
                    .fetch_optional(&mut *transaction)
                    .await?;
                    match earlier {
                        Some((_, Some(used_at))) if now - used_at <= grace => {
                            Step::Done(Rotation::JustUsed)
                        }
                        Some((session_id, _)) => {
                            let user_id = sqlx::query_scalar::<_, i64>(
                                "DELETE FROM sessions WHERE id = $1 RETURNING user_id",
                            )
                            .bind(&session_id)
                            .fetch_optional(&mut *transaction)
                            .await?;
                            Step::Done(match user_id {
                                Some(user_id) => Rotation::Reused {
                                    session_id,
                                    user_id,
                                },
                                None => Rotation::Unknown,
                            })
                        }
                        None => Step::Done(Rotation::Unknown),
                    }
                }
            };
            transaction.commit().await?;
            rotation
        });
        match rotation {
            // Read after the commit: the session as the token path knows it.
            Step::Rotated(session_id) => Ok(match self.read_session(&session_id).await? {
                Some((session, _)) => Rotation::Rotated(session),
                None => Rotation::Unknown,
            }),
            Step::Done(rotation) => {
                if let Rotation::Reused { session_id, .. } = &rotation {
                    self.forget_sessions(std::slice::from_ref(session_id));
                }
                Ok(rotation)
            }
        }
    }
}
