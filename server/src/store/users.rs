//! The users table: accounts, their password hashes and token versions.

use super::{on_pool, Pool, Store, StoreError};

/// A stored account.
#[derive(Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    /// Tokens issued at another version are revoked.
    pub token_version: i64,
}

/// The fields of a user the token path needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHolder {
    pub id: i64,
    pub username: String,
    pub token_version: i64,
}

impl From<User> for TokenHolder {
    fn from(user: User) -> Self {
        TokenHolder {
            id: user.id,
            username: user.username,
            token_version: user.token_version,
        }
    }
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
                "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id",
            )
            .bind(username)
            .bind(password_hash)
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
            sqlx::query_as::<_, User>(
                "SELECT id, username, password_hash, token_version FROM users WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The account called `username`, compared without case (as the unique index does).
    pub async fn find_user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        // SQLite's column is COLLATE NOCASE, so `=` ignores case and uses the unique index;
        // PostgreSQL's unique index is on lower(username).
        let query = match self.pool {
            Pool::Sqlite(_) => {
                "SELECT id, username, password_hash, token_version FROM users WHERE username = $1"
            }
            Pool::Postgres(_) => {
                "SELECT id, username, password_hash, token_version FROM users \
                 WHERE lower(username) = lower($1)"
            }
        };
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, User>(query)
                .bind(username)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// What the token path needs to know about user `id`: from memory when it can be.
    pub async fn token_holder(&self, id: i64) -> Result<Option<TokenHolder>, StoreError> {
        let Some(cache) = &self.cache else {
            return Ok(self.find_user(id).await?.map(TokenHolder::from));
        };
        if let Some(holder) = cache.get(id) {
            return Ok(Some(holder));
        }
        let ticket = cache.ticket();
        let holder = self.find_user(id).await?.map(TokenHolder::from);
        if let Some(holder) = &holder {
            cache.store_read(ticket, holder.id, holder.token_version, holder.clone());
        }
        Ok(holder)
    }

    /// Revokes every token issued to the user so far.
    pub async fn revoke_tokens(&self, id: i64) -> Result<(), StoreError> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, String, i64)>(
                "UPDATE users SET token_version = token_version + 1 WHERE id = $1 \
                 RETURNING id, username, token_version",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        self.revoked(row);
        Ok(())
    }

    /// Replaces the password hash and, in the same statement, revokes every token.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<(), StoreError> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, String, i64)>(
                "UPDATE users SET password_hash = $1, token_version = token_version + 1 \
                 WHERE id = $2 RETURNING id, username, token_version",
            )
            .bind(password_hash)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        self.revoked(row);
        Ok(())
    }

    fn revoked(&self, row: Option<(i64, String, i64)>) {
        if let (Some(cache), Some((id, username, token_version))) = (&self.cache, row) {
            let holder = TokenHolder {
                id,
                username,
                token_version,
            };
            cache.revoked(id, token_version, holder);
        }
    }
}
