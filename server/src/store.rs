//! Persistence of user accounts, on SQLite (the embedded default) or PostgreSQL (for several
//! instances on one database), chosen at start-up by the `DATABASE_URL` scheme. Each engine has
//! its own migrations (`migrations/sqlite`, `migrations/postgres`) with the same constraints;
//! every query below is written once, with `$n` placeholders both engines understand.

use crate::{
    error::ApiError,
    user_cache::{TokenHolder, UserCache},
};
use sqlx::migrate::Migrator;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, SqlitePool,
};
use std::{str::FromStr, sync::Arc, time::Duration};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// A stored account.
#[derive(Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    /// Tokens issued at another version are revoked.
    pub token_version: i64,
}

/// Pool sizes and timeouts (`DATABASE_*` settings).
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout`; SQLite's busy timeout.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same query code on whichever engine this store uses.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

#[derive(Clone)]
pub struct UserStore {
    pool: Pool,
    /// Only when this process makes every write to its database (SQLite): see user_cache.
    /// Instances sharing a PostgreSQL database read the token version on every request, so a
    /// logout through one is seen by all at once.
    cache: Option<Arc<UserCache>>,
}

/// Users kept in memory for the token path; about 100 bytes each.
const CACHED_USERS: usize = 100_000;

impl UserStore {
    /// Connects to the database at `url` (`postgres://` or `postgresql://` for PostgreSQL,
    /// anything else SQLite, created if needed) and applies pending migrations.
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, sqlx::Error> {
        if is_postgres(url) {
            let options = PgConnectOptions::from_str(url)?.options([(
                "statement_timeout",
                format!("{}ms", settings.statement_timeout.as_millis()),
            )]);
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            return Ok(UserStore {
                pool: Pool::Postgres(pool),
                cache: None,
            });
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // WAL: readers never wait for the writer. synchronous=FULL: a registration that
            // was answered 201 survives a crash of the process or the machine.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(settings.statement_timeout)
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        Ok(UserStore {
            pool: Pool::Sqlite(pool),
            cache: Some(Arc::new(UserCache::new(CACHED_USERS))),
        })
    }

    /// Connections currently handed out by the pool (for `/metrics`).
    pub fn connections_in_use(&self) -> u32 {
        on_pool!(self, |pool| pool
            .size()
            .saturating_sub(pool.num_idle() as u32))
    }

    /// "sqlite" or "postgres", for logs.
    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers and has every migration this build knows applied
    /// (`GET /readyz`).
    pub async fn ready(&self) -> Result<bool, ApiError> {
        let applied = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        let known = match self.pool {
            Pool::Sqlite(_) => SQLITE_MIGRATIONS.iter().count(),
            Pool::Postgres(_) => POSTGRES_MIGRATIONS.iter().count(),
        };
        Ok(usize::try_from(applied).is_ok_and(|applied| applied >= known))
    }

    /// Inserts a new account and returns its id. A taken name (compared without case) is
    /// `UsernameTaken`, decided by the unique index, so concurrent attempts cannot both win.
    pub async fn create(&self, username: &str, password_hash: &str) -> Result<i64, ApiError> {
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
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(ApiError::UsernameTaken)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn find_by_id(&self, id: i64) -> Result<Option<User>, ApiError> {
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
    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>, ApiError> {
        Ok(match &self.pool {
            // The column is COLLATE NOCASE, so `=` ignores case and uses the unique index.
            Pool::Sqlite(pool) => {
                sqlx::query_as::<_, User>(
                    "SELECT id, username, password_hash, token_version FROM users \
                     WHERE username = $1",
                )
                .bind(username)
                .fetch_optional(pool)
                .await?
            }
            // The unique index is on lower(username).
            Pool::Postgres(pool) => {
                sqlx::query_as::<_, User>(
                    "SELECT id, username, password_hash, token_version FROM users \
                     WHERE lower(username) = lower($1)",
                )
                .bind(username)
                .fetch_optional(pool)
                .await?
            }
        })
    }

    /// What the token path needs to know about user `id`: from memory when it can be.
    pub async fn token_holder(&self, id: i64) -> Result<Option<TokenHolder>, ApiError> {
        let Some(cache) = &self.cache else {
            return Ok(self.find_by_id(id).await?.map(TokenHolder::from));
        };
        if let Some(holder) = cache.get(id) {
            return Ok(Some(holder));
        }
        let ticket = cache.ticket();
        let holder = self.find_by_id(id).await?.map(TokenHolder::from);
        if let Some(holder) = &holder {
            cache.store_read(ticket, holder.clone());
        }
        Ok(holder)
    }

    /// Revokes every token issued to the user so far.
    pub async fn revoke_tokens(&self, id: i64) -> Result<(), ApiError> {
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
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<(), ApiError> {
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
            cache.revoked(TokenHolder {
                id,
                username,
                token_version,
            });
        }
    }
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

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Errors that mean "the database cannot be reached right now" rather than a bug: worth a
/// retry at start-up, and a 503 (not a 500) while serving.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: connection exceptions (08), shutting down or restarting (57P0x),
        // too many connections (53300), statement timeout (57014).
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P0") || code == "53300" || code == "57014"
        }),
        _ => false,
    }
}
