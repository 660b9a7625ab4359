//! The sessions table: one row per sign-in, deleted when the session ends.

use super::{cache::ActiveSession, on_pool, random_id, Pool, Store, StoreError};

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
    const ALL: [SignInMethod; 4] = [
        SignInMethod::Password,
        SignInMethod::PasswordAndCode,
        SignInMethod::RecoveryCode,
        SignInMethod::Passkey,
    ];

    /// The word stored with the session and shown in `GET /api/sessions`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::PasswordAndCode => "password_and_code",
            SignInMethod::RecoveryCode => "recovery_code",
            SignInMethod::Passkey => "passkey",
        }
    }

    /// The method [`SignInMethod::as_str`] names; a word this build does not know is the
    /// weakest, a password alone.
    pub fn parse(word: &str) -> SignInMethod {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str() == word)
            .unwrap_or(SignInMethod::Password)
    }

    /// Whether it is every factor an account has: anything but a password alone, which is
    /// every factor only of an account without two-step verification.
    pub fn is_full(self, two_step_on: bool) -> bool {
        self != SignInMethod::Password || !two_step_on
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
#[derive(Clone, Copy)]
pub struct NewSession<'a> {
    pub user_id: i64,
    pub username: &'a str,
    /// The account's credential generation the sign-in checked: the session is stored only if
    /// it is still the account's.
    pub generation: i64,
    /// Unix seconds: when the session began (its absolute lifetime counts from here), and
    /// when it was last fully authenticated, and how.
    pub started_at: i64,
    pub authenticated_at: i64,
    pub signed_in_with: SignInMethod,
    pub authenticated_with: SignInMethod,
    pub address: &'a str,
    pub user_agent: &'a str,
    /// The application the session is for (begun by exchanging an authorization code), if any,
    /// and the scopes it was granted (space-separated).
    pub client: Option<(&'a str, &'a str)>,
}

impl<'a> NewSession<'a> {
    /// A sign-in at `now` with `method`.
    pub fn signed_in(
        (user_id, username, generation): (i64, &'a str, i64),
        method: SignInMethod,
        now: i64,
        (address, user_agent): (&'a str, &'a str),
    ) -> Self {
        NewSession {
            user_id,
            username,
            generation,
            started_at: now,
            authenticated_at: now,
            signed_in_with: method,
            authenticated_with: method,
            address,
            user_agent,
            client: None,
        }
    }
}

/// Stores a session under id `$1` if the account's credential generation is still the one
/// checked (`$10`); `$11` and `$12` the application it is for
/// and the scopes granted it, if any. SQLite has one writer at a time: a change of the credentials is either
/// committed before this statement or begins after it.
const INSERT_SESSION_SQLITE: &str = "INSERT INTO sessions \
    (id, user_id, started_at, last_used_at, address, user_agent, signed_in_with, \
     authenticated_at, authenticated_with, client_id, scope) \
    SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $11, $12 FROM users \
    WHERE id = $2 AND credential_generation = $10";

/// The same on PostgreSQL, where a change of the credentials may be under way in another
/// transaction: `FOR SHARE` waits for it to end and then reads the account's row as it left it
/// (READ COMMITTED re-checks the condition on the latest version), so a sign-in that checked the
/// old password stores nothing once the change has committed.
const INSERT_SESSION_POSTGRES: &str = "INSERT INTO sessions \
    (id, user_id, started_at, last_used_at, address, user_agent, signed_in_with, \
     authenticated_at, authenticated_with, client_id, scope) \
    SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $11, $12 FROM users \
    WHERE id = $2 AND credential_generation = $10 FOR SHARE";

impl Store {
    /// The statement that stores a session, on this store's engine.
    pub(super) fn insert_session_sql(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => INSERT_SESSION_SQLITE,
            Pool::Postgres(_) => INSERT_SESSION_POSTGRES,
        }
    }
}

/// Binds a [`NewSession`] to `$sql`, [`Store::insert_session_sql`] (a macro: the same binds on
/// either engine's query type).
macro_rules! insert_session {
    ($sql:expr, $id:expr, $new:expr, $now:expr) => {
        sqlx::query($sql)
            .bind($id)
            .bind($new.user_id)
            .bind($new.started_at)
            .bind($now)
            .bind($new.address)
            .bind($new.user_agent)
            .bind($new.signed_in_with.as_str())
            .bind($new.authenticated_at)
            .bind($new.authenticated_with.as_str())
            .bind($new.generation)
            .bind($new.client.map(|(client_id, _)| client_id))
            .bind($new.client.map(|(_, scope)| scope))
    };
}
pub(super) use insert_session;

/// How recently a session was fully authenticated, for a change that needs it to be recent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authentication {
    /// Unix seconds.
    pub at: i64,
    pub with: SignInMethod,
    /// How the session began.
    pub signed_in_with: SignInMethod,
    /// Whether the account uses two-step verification now.
    pub two_step_on: bool,
}

impl ActiveSession {
    pub(super) fn of(id: String, new: &NewSession<'_>) -> Self {
        ActiveSession {
            id,
            user_id: new.user_id,
            username: new.username.to_owned(),
            started_at: new.started_at,
        }
    }
}

impl Store {
    /// Stores a new session under a fresh random id at `now`, unless the account's credentials
    /// changed since the sign-in checked them (`None`: the sign-in is refused).
    pub async fn start_session(
        &self,
        new: NewSession<'_>,
        now: i64,
    ) -> Result<Option<ActiveSession>, StoreError> {
        let (id, sql) = (random_id(), self.insert_session_sql());
        let stored = on_pool!(self, |pool| {
            insert_session!(sql, &id, new, now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok((stored == 1).then(|| ActiveSession::of(id, &new)))
    }

    /// When and how live session `id` of `user_id` was last fully authenticated, and whether
    /// the account uses two-step verification; `None` when it has ended.
    pub async fn authentication(
        &self,
        user_id: i64,
        id: &str,
    ) -> Result<Option<Authentication>, StoreError> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, String, String, bool)>(
                "SELECT s.authenticated_at, s.authenticated_with, s.signed_in_with, EXISTS ( \
                   SELECT 1 FROM two_step t WHERE t.user_id = s.user_id AND t.secret IS NOT NULL) \
                 FROM sessions s WHERE s.id = $1 AND s.user_id = $2",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(
            row.map(|(at, with, signed_in_with, two_step_on)| Authentication {
                at,
                with: SignInMethod::parse(&with),
                signed_in_with: SignInMethod::parse(&signed_in_with),
                two_step_on,
            }),
        )
    }

    /// Records a full authentication of live session `id` at `now`, with `method`, if the
    /// account's credentials are still those checked (`generation`); whether it was recorded.
    pub async fn reauthenticated(
        &self,
        (user_id, generation): (i64, i64),
        id: &str,
        method: SignInMethod,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(match self.pool {
                Pool::Sqlite(_) => {
                    "UPDATE sessions SET authenticated_at = $1, authenticated_with = $2 \
                     WHERE id = $3 AND user_id = $4 AND EXISTS ( \
                       SELECT 1 FROM users WHERE id = $4 AND credential_generation = $5)"
                }
                // As for a new session (INSERT_SESSION_POSTGRES): a change under way is waited
                // for.
                Pool::Postgres(_) => {
                    "UPDATE sessions SET authenticated_at = $1, authenticated_with = $2 \
                     WHERE id = $3 AND user_id = $4 AND EXISTS ( \
                       SELECT 1 FROM users WHERE id = $4 AND credential_generation = $5 \
                       FOR SHARE)"
                }
            })
            .bind(now)
            .bind(method.as_str())
            .bind(id)
            .bind(user_id)
            .bind(generation)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }))
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

    pub(super) async fn read_session(
        &self,
        id: &str,
    ) -> Result<Option<(ActiveSession, i64)>, StoreError> {
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

    /// Up to `limit` of the user's live sessions, newest first, from after the one that began
    /// at `after.0` with id `after.1`.
    pub async fn list_sessions(
        &self,
        user_id: i64,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        // Keyset paging on (started_at DESC, id), the id breaking ties: no session is skipped
        // or shown twice when others begin or end between pages. Without `after`, from the
        // newest.
        let (started_at, id) = after.unwrap_or((i64::MAX, ""));
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, SessionRecord>(
                "SELECT id, started_at, last_used_at, address, user_agent, signed_in_with \
                 FROM sessions \
                 WHERE user_id = $1 AND (started_at < $2 OR (started_at = $2 AND id > $3)) \
                 ORDER BY started_at DESC, id LIMIT $4",
            )
            .bind(user_id)
            .bind(started_at)
            .bind(id)
            .bind(i64::from(limit))
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
