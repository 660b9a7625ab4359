//! The sessions table: one row per sign-in, deleted when the session ends.

use super::{cache::ActiveSession, on_pool, random_id, Store, StoreError};

/// How a session began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInMethod {
    /// A password alone (the account has no two-step verification).
    Password,
    /// A password and a code from the authenticator app.
    PasswordAndCode,
    /// A password and one of the account's recovery codes.
    RecoveryCode,
    Passkey,
}

impl SignInMethod {
    /// The word stored with the session and shown in `GET /api/sessions`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::PasswordAndCode => "password_and_code",
            SignInMethod::RecoveryCode => "recovery_code",
            SignInMethod::Passkey => "passkey",
        }
    }
}

/// A session as its owner sees it in the list of their devices.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: String,
    pub started_at: i64,
    pub last_used_at: i64,
    pub address: String,
    pub user_agent: String,
    /// [`SignInMethod::as_str`].
    pub signed_in_with: String,
}

/// What a new session records about the sign-in.
pub struct NewSession<'a> {
    pub user_id: i64,
    pub username: &'a str,
    /// Unix seconds.
    pub now: i64,
    pub address: &'a str,
    pub user_agent: &'a str,
    pub signed_in_with: SignInMethod,
}

impl Store {
    /// Stores a new session under a fresh random id and returns it.
    pub async fn start_session(&self, new: NewSession<'_>) -> Result<ActiveSession, StoreError> {
        let id = random_id();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions \
                 (id, user_id, started_at, last_used_at, address, user_agent, signed_in_with) \
                 VALUES ($1, $2, $3, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(new.user_id)
            .bind(new.now)
            .bind(new.address)
            .bind(new.user_agent)
            .bind(new.signed_in_with.as_str())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())?
        });
        Ok(ActiveSession {
            id,
            user_id: new.user_id,
            username: new.username.to_owned(),
            started_at: new.now,
        })
    }

    /// The live session `id`, from memory when it can be (no round trip), else from the
    /// database. At `now`, a use more than `touch_interval` seconds after the last recorded one
    /// is written to the database, in the background: never a write per request.
    pub async fn use_session(
        &self,
        id: &str,
        now: i64,
        touch_interval: i64,
    ) -> Result<Option<ActiveSession>, StoreError> {
        if let Some(found) = self.cache.get(id, now, touch_interval) {
            if found.touch_due {
                self.touches.send(id, now);
            }
            return Ok(Some(found.session));
        }
        // Not held (or not trusted): from the database, and kept for next time if it may be.
        let ticket = self.cache.ticket();
        let Some((session, last_used_at)) = self.read_session(id).await? else {
            return Ok(None);
        };
        let stale = now - last_used_at >= touch_interval;
        if stale {
            self.touches.send(id, now);
        }
        let told = if stale { now } else { last_used_at };
        self.cache.store_read(ticket, session.clone(), told);
        Ok(Some(session))
    }

    async fn read_session(&self, id: &str) -> Result<Option<(ActiveSession, i64)>, StoreError> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, i64, String, i64, i64)>(
                "SELECT s.id, s.user_id, u.username, s.started_at, s.last_used_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(
            row.map(|(id, user_id, username, started_at, last_used_at)| {
                let session = ActiveSession {
                    id,
                    user_id,
                    username,
                    started_at,
                };
                (session, last_used_at)
            }),
        )
    }

    /// The user's live sessions, newest first.
    pub async fn list_sessions(&self, user_id: i64) -> Result<Vec<SessionRecord>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, SessionRecord>(
                "SELECT id, started_at, last_used_at, address, user_agent, signed_in_with \
                 FROM sessions \
                 WHERE user_id = $1 ORDER BY started_at DESC, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Ends session `id` if it is one of `user_id`'s; whether it was.
    pub async fn end_session(&self, user_id: i64, id: &str) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        self.cache.remove(id);
        Ok(deleted > 0)
    }

    /// Ends every session of `user_id` but `keep` (every one when `keep` is `None`); the ids
    /// of those ended.
    pub async fn end_sessions(
        &self,
        user_id: i64,
        keep: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let ended = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, String>(
                "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2) RETURNING id",
            )
            .bind(user_id)
            .bind(keep)
            .fetch_all(pool)
            .await?
        });
        self.forget_sessions(&ended);
        Ok(ended)
    }

    /// Ends at most `limit` of the sessions that began before `started_before`, the oldest
    /// first; their ids and users.
    pub async fn end_sessions_started_before(
        &self,
        started_before: i64,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let ended = on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, i64)>(
                "DELETE FROM sessions WHERE id IN \
                 (SELECT id FROM sessions WHERE started_at < $1 ORDER BY started_at LIMIT $2) \
                 RETURNING id, user_id",
            )
            .bind(started_before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        for (id, _) in &ended {
            self.cache.remove(id);
        }
        Ok(ended)
    }

    pub(super) fn forget_sessions(&self, ids: &[String]) {
        for id in ids {
            self.cache.remove(id);
        }
    }
}
