//! Persistence of user accounts (SQLite through sqlx; migrations in `migrations/sqlite`).

use crate::{
    error::ApiError,
    user_cache::{TokenHolder, UserCache},
};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};
use std::{str::FromStr, sync::Arc, time::Duration};

/// A stored account.
#[derive(Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    /// Tokens issued at another version are revoked.
    pub token_version: i64,
}

#[derive(Clone)]
pub struct UserStore {
    pool: SqlitePool,
    /// This process is the only writer of its SQLite file, so it may cache (see user_cache).
    cache: Arc<UserCache>,
}

/// Users kept in memory for the token path; about 100 bytes each.
const CACHED_USERS: usize = 100_000;

impl UserStore {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // WAL: readers never wait for the writer. synchronous=FULL: a registration that
            // was answered 201 survives a crash of the process or the machine.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(UserStore {
            pool,
            cache: Arc::new(UserCache::new(CACHED_USERS)),
        })
    }

    /// Inserts a new account and returns its id. A taken name (compared without case) is
    /// `UsernameTaken`, decided by the unique index, so concurrent attempts cannot both win.
    pub async fn create(&self, username: &str, password_hash: &str) -> Result<i64, ApiError> {
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO users (username, password_hash) VALUES (?, ?) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .fetch_one(&self.pool)
        .await;
        match inserted {
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(ApiError::UsernameTaken)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn find_by_id(&self, id: i64) -> Result<Option<User>, ApiError> {
        Ok(sqlx::query_as::<_, User>(
            "SELECT id, username, password_hash, token_version FROM users WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>, ApiError> {
        Ok(sqlx::query_as::<_, User>(
            "SELECT id, username, password_hash, token_version FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// What the token path needs to know about user `id`: from memory when it can be.
    pub async fn token_holder(&self, id: i64) -> Result<Option<TokenHolder>, ApiError> {
        if let Some(holder) = self.cache.get(id) {
            return Ok(Some(holder));
        }
        let ticket = self.cache.ticket();
        let holder = self.find_by_id(id).await?.map(|user| TokenHolder {
            id: user.id,
            username: user.username,
            token_version: user.token_version,
        });
        if let Some(holder) = &holder {
            self.cache.store_read(ticket, holder.clone());
        }
        Ok(holder)
    }

    /// Revokes every token issued to the user so far.
    pub async fn revoke_tokens(&self, id: i64) -> Result<(), ApiError> {
        let holder = sqlx::query_as::<_, (i64, String, i64)>(
            "UPDATE users SET token_version = token_version + 1 WHERE id = ? \
             RETURNING id, username, token_version",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        self.revoked(holder);
        Ok(())
    }

    /// Replaces the password hash and, in the same statement, revokes every token.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<(), ApiError> {
        let holder = sqlx::query_as::<_, (i64, String, i64)>(
            "UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ? \
             RETURNING id, username, token_version",
        )
        .bind(password_hash)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        self.revoked(holder);
        Ok(())
    }

    fn revoked(&self, row: Option<(i64, String, i64)>) {
        if let Some((id, username, token_version)) = row {
            self.cache.revoked(TokenHolder {
                id,
                username,
                token_version,
            });
        }
    }
}
