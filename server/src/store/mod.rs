//! Persistence, on SQLite (the embedded default) or PostgreSQL (for several instances on one
//! database), chosen at start-up by the `DATABASE_URL` scheme. Each engine has its own
//! migrations (`migrations/sqlite`, `migrations/postgres`) with the same constraints; every
//! query is written once, with `$n` placeholders both engines understand.
//!
//! `Store` is the handle; `users.rs` holds its queries of the users table, `cache.rs` the memory
//! that spares the token path a round trip.

mod cache;
mod error;
mod users;

pub use error::StoreError;
pub use users::{TokenHolder, User};

use cache::VersionCache;
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, SqlitePool,
};
use std::{str::FromStr, sync::Arc, time::Duration};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

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
use on_pool;

/// The database, and what the token path keeps of it in memory.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// Only when this process makes every write to its database (SQLite): see `cache.rs`.
    /// Instances sharing a PostgreSQL database read the token version on every request, so a
    /// logout through one is seen by all at once.
    cache: Option<Arc<VersionCache<TokenHolder>>>,
}

/// Users kept in memory for the token path; about 100 bytes each.
const CACHED_USERS: usize = 100_000;

impl Store {
    /// Connects to the database at `url` (`postgres://` or `postgresql://` for PostgreSQL,
    /// anything else SQLite, created if needed) and applies pending migrations.
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
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
            return Ok(Store {
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
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        Ok(Store {
            pool: Pool::Sqlite(pool),
            cache: Some(Arc::new(VersionCache::new(CACHED_USERS))),
        })
    }

    /// Connections currently handed out by the pool (for `/metrics`).
    pub fn connections_in_use(&self) -> u32 {
        on_pool!(self, |pool| pool
            .size()
            .saturating_sub(pool.num_idle() as u32))
    }

    /// "sqlite" or "postgres", for logs and `/readyz`.
    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers and has every migration this build knows applied.
    pub async fn ready(&self) -> Result<bool, StoreError> {
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
}
