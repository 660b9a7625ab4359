//! Refresh tokens: how a page whose access token expired (a laptop that slept) gets a new one
//! without asking the person again, within its session's lifetime. Stored as SHA-256 digests
//! (each token has 256 random bits), one row per token issued, with the session it renews. Each
//! use is answered with the next token (RFC 9700 4.14.2: rotation). For a short grace period
//! after its first use a token is accepted again, each time with a next token of its own: an
//! answer lost on its way (the client retries with what it has) and several tabs of one browser
//! renewing at the same moment must not sign anyone out. Used again after that, it ends its
//! session (reuse detection: one of its holders is not the owner). The rows go with the session.

use super::{cache::ActiveSession, on_pool, Store, StoreError};

/// What presenting a refresh token did.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// Unused, or used within the grace period: `new` is its successor in this live session.
    Rotated(ActiveSession),
    /// Used before the grace period: its session has ended (its id and user).
    Reused { session_id: String, user_id: i64 },
    /// Not a token of a live session.
    Unknown,
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

    /// Uses the refresh token `old` at `now`: when it is unused, or was first used `grace`
    /// seconds ago or less, `new` is its successor, in one transaction that starts with the
    /// write (the first use is recorded by exactly one request, on any instance). One first used
    /// longer ago ends its session. Only a token of a session of `client` (an application's,
    /// or with `None` one the pages began) is anything but unknown.
    pub async fn rotate_refresh_token(
        &self,
        (old, client): (&str, Option<&str>),
        new: &str,
        now: i64,
        grace: i64,
    ) -> Result<Rotation, StoreError> {
        let rotated = on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let used = sqlx::query_scalar::<_, String>(
                "UPDATE refresh_tokens SET used_at = $1 WHERE digest = $2 AND used_at IS NULL \
                   AND EXISTS (SELECT 1 FROM sessions WHERE sessions.id = refresh_tokens.session_id \
                     AND sessions.client_id IS NOT DISTINCT FROM $3) \
                 RETURNING session_id",
            )
            .bind(now)
            .bind(old)
            .bind(client)
            .fetch_optional(&mut *transaction)
            .await?;
            let session_id = match used {
                Some(session_id) => session_id,
                None => {
                    let earlier = sqlx::query_as::<_, (String, Option<i64>)>(
                        "SELECT r.session_id, r.used_at FROM refresh_tokens r \
                         JOIN sessions s ON s.id = r.session_id \
                         WHERE r.digest = $1 AND s.client_id IS NOT DISTINCT FROM $2",
                    )
                    .bind(old)
                    .bind(client)
                    .fetch_optional(&mut *transaction)
                    .await?;
                    match earlier {
                        Some((session_id, Some(used_at))) if now - used_at <= grace => session_id,
                        // Unknown, or spent before the grace period.
                        _ => {
                            transaction.commit().await?;
                            return self.reuse(old, client).await;
                        }
                    }
                }
            };
            let added = sqlx::query(
                "INSERT INTO refresh_tokens (digest, session_id) \
                 SELECT $1, id FROM sessions WHERE id = $2",
            )
            .bind(new)
            .bind(&session_id)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
            transaction.commit().await?;
            (added == 1).then_some(session_id)
        });
        // Read after the commit: the session as the token path knows it.
        let Some(session_id) = rotated else {
            return Ok(Rotation::Unknown);
        };
        Ok(match self.read_session(&session_id).await? {
            Some((session, _)) => Rotation::Rotated(session),
            None => Rotation::Unknown,
        })
    }

    /// A refresh token presented after its grace period: if it is a token of a live session,
    /// that session ends (a session of `client` only).
    async fn reuse(&self, old: &str, client: Option<&str>) -> Result<Rotation, StoreError> {
        let ended = on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, i64)>(
                "DELETE FROM sessions WHERE id = \
                   (SELECT session_id FROM refresh_tokens WHERE digest = $1) \
                   AND client_id IS NOT DISTINCT FROM $2 \
                 RETURNING id, user_id",
            )
            .bind(old)
            .bind(client)
            .fetch_optional(pool)
            .await?
        });
        Ok(match ended {
            Some((session_id, user_id)) => {
                self.forget_sessions(std::slice::from_ref(&session_id));
                Rotation::Reused {
                    session_id,
                    user_id,
                }
            }
            None => Rotation::Unknown,
        })
    }
}
