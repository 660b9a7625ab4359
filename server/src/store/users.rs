//! The users table: accounts and their password hashes.

use super::{
    cache::ActiveSession,
    on_pool, random_id,
    sessions::{insert_session, NewSession},
    transactions::BeginAccountWrite,
    Pool, Store, StoreError,
};

/// Ends every session of user `$1`, returning their ids.
const END_USER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1 RETURNING id";

/// The columns of a [`User`].
const USER_COLUMNS: &str = "id, username, password_hash, credential_generation";

/// A stored account.
#[derive(Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    /// Moves whenever the credentials change (see the migration): a sign-in checked against
    /// this generation stores its session only while it is still the account's.
    pub credential_generation: i64,
}

/// What a password change did: the sessions it ended, and the caller's new one.
pub struct PasswordChanged {
    pub ended: Vec<String>,
    pub replacement: Option<ActiveSession>,
}

impl Store {
    /// Inserts a new account and returns its id. A taken name (compared without case) is
    /// `UsernameTaken`, decided by the unique index, so concurrent attempts cannot both win.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<i64, StoreError> {
        let inserted = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO users (username, password_hash, user_handle) VALUES ($1, $2, $3) \
                 RETURNING id",
            )
            .bind(username)
            .bind(password_hash)
            .bind(random_id())
            .fetch_one(pool)
            .await
        });
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::UsernameTaken)
            }
            other => Ok(other?),
        }
    }

    pub async fn find_user(&self, id: i64) -> Result<Option<User>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The account whose passkeys carry `user_handle` (hex).
    pub async fn find_user_by_handle(&self, user_handle: &str) -> Result<Option<User>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE user_handle = $1"
            )))
            .bind(user_handle)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The handle (hex) the user's passkeys carry.
    pub async fn user_handle(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, Option<String>>("SELECT user_handle FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
                .flatten()
        }))
    }

    /// The account called `username`, compared without case (as the unique index does).
    pub async fn find_user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        // SQLite's column is COLLATE NOCASE, so `=` ignores case and uses the unique index;
        // PostgreSQL's unique index is on lower(username).
        let condition = match self.pool {
            Pool::Sqlite(_) => "username = $1",
            Pool::Postgres(_) => "lower(username) = lower($1)",
        };
        let query = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(query.clone()))
                .bind(username)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Replaces the password hash, moves the credential generation and, in the same
    /// transaction, ends every session of the user (ASVS 5.0 7.4.3) and stores `replacement`
    /// (the caller's new session, 7.2.4) at `now`. A sign-in that checked the old password can
    /// no longer store its session. `None` when the account was deleted meanwhile.
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        replacement: Option<NewSession<'_>>,
        now: i64,
    ) -> Result<Option<PasswordChanged>, StoreError> {
        let (id, insert) = (random_id(), self.insert_session_sql());
        let (ended, replaced) = on_pool!(self, |pool| {
            let mut transaction = pool.begin_account_write(user_id).await?;
            let Some(generation) = sqlx::query_scalar::<_, i64>(
                "UPDATE users SET password_hash = $1, \
                 credential_generation = credential_generation + 1 \
                 WHERE id = $2 RETURNING credential_generation",
            )
            .bind(password_hash)
            .bind(user_id)
            .fetch_optional(&mut *transaction)
            .await?
            else {
                // Deleted meanwhile: nothing to change, nobody to keep signed in.
                return Ok(None);
            };
            let ended = sqlx::query_scalar::<_, String>(END_USER_SESSIONS)
                .bind(user_id)
                .fetch_all(&mut *transaction)
                .await?;
            let replaced = match replacement {
                Some(new) => {
                    let new = NewSession { generation, ..new };
                    insert_session!(insert, &id, new, now)
                        .execute(&mut *transaction)
                        .await?;
                    Some(ActiveSession::of(id, &new))
                }
                None => None,
            };
            transaction.commit().await?;
            (ended, replaced)
        });
        self.forget_sessions(&ended);
        Ok(Some(PasswordChanged {
            ended,
            replacement: replaced,
        }))
    }
}

impl Store {
    /// Deletes the account and, in the same transaction, every session of it. Returns the ids
    /// of the sessions ended. The id is never handed out again.
    pub async fn delete_user(&self, user_id: i64) -> Result<Vec<String>, StoreError> {
        let ended = on_pool!(self, |pool| {
            let mut transaction = pool.begin_account_write(user_id).await?;
            let ended = sqlx::query_scalar::<_, String>(END_USER_SESSIONS)
                .bind(user_id)
                .fetch_all(&mut *transaction)
                .await?;
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await?;
            ended
        });
        self.forget_sessions(&ended);
        Ok(ended)
    }
}
