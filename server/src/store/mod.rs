//! Persistence, on SQLite (the embedded default) or PostgreSQL (for several instances on one
//! database), chosen at start-up by the `DATABASE_URL` scheme. Each engine has its own
//! migrations (`migrations/sqlite`, `migrations/postgres`) with the same constraints; every
//! query is written once, with `$n` placeholders both engines understand.
//!
//! `Store` is the handle; `users.rs`, `sessions.rs`, `passkeys.rs`, `ceremonies.rs`,
//! `two_step.rs`, `tickets.rs` (the code step of a sign-in), `refresh_tokens.rs` and `provider.rs`
//! (the OpenID Connect provider's keys, clients, codes and consents) hold its
//! queries of those tables, `transactions.rs` how a change to one account begins, `login_failures.rs` the shared brute-force counts, `cache.rs` the
//! memory that spares the token path a round trip, `listener.rs` what keeps that memory exact
//! across instances, and `touches.rs` the writer of sessions' last use.

mod cache;
mod ceremonies;
mod error;
mod listener;
mod login_failures;
mod passkeys;
mod provider;
mod refresh_tokens;
mod sessions;
mod tickets;
mod touches;
mod transactions;
mod two_step;
mod users;

pub use cache::{ActiveSession, CacheFigures};
pub use ceremonies::CeremonyKind;
pub use error::StoreError;
pub use login_failures::{FailureCounter, FailureKey};
pub use passkeys::{PasskeyRecord, StoredPasskey};
pub use provider::{
    AuthorizationRequest, ClientRecord, CodeGrant, CodeUse, ConsentRecord, SigningKeyRecord,
};
pub use refresh_tokens::Rotation;
pub use sessions::{Authentication, NewSession, SessionRecord, SignInMethod};
pub use tickets::Ticket;
pub use two_step::TwoStepRecord;
pub use users::{PasswordChanged, User};

use crate::tasks::Tasks;
use cache::SessionCache;
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, SqlitePool,
};
use std::{str::FromStr, sync::Arc, time::Duration};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Pool sizes and timeouts (`DATABASE_*` settings), and how many sessions the token path keeps
/// in memory (`SESSION_CACHE_CAPACITY`).
#[derive(Clone, Copy, Debug)]
pub struct StoreSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout`; SQLite's busy timeout.
    pub statement_timeout: Duration,
    pub cached_sessions: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            cached_sessions: DEFAULT_CACHED_SESSIONS,
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
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
use on_pool;

/// The database, and what the token path keeps of it in memory.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    cache: Arc<SessionCache>,
    touches: touches::Sender,
}

/// What the store needs running beside the requests, handed to [`Store::spawn_tasks`].
pub struct StoreTasks {
    touches: touches::Receiver,
    /// PostgreSQL: where to listen for sessions ended by other instances.
    listen: Option<PgConnectOptions>,
}

/// Sessions kept in memory for the token path: about 460 bytes each (BENCHMARKS.md, "Scale"),
/// so a full cache adds about 220 MiB and an instance stays within 400 MiB, a password flood
/// included; and more than the 300,000 sessions an instance is sized to keep active.
pub const DEFAULT_CACHED_SESSIONS: u64 = 500_000;

impl Store {
    /// Connects to the database at `url` (`postgres://` or `postgresql://` for PostgreSQL,
    /// anything else SQLite, created if needed) and applies pending migrations. The store works
    /// fully only once its tasks run ([`Store::spawn_tasks`]).
    pub async fn connect(
        url: &str,
        settings: StoreSettings,
    ) -> Result<(Self, StoreTasks), StoreError> {
        let (touches, touch_queue) = touches::channel();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?.options([(
                "statement_timeout",
                format!("{}ms", settings.statement_timeout.as_millis()),
            )]);
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                // A pooled connection the server dropped meanwhile (a restart, a failover,
                // pg_terminate_backend, an idle timeout) is found by a ping (one Sync message,
                // no statement) when it is taken, and replaced, so no request fails on it and
                // no statement is ever retried. Its cost: BENCHMARKS.md.
                .test_before_acquire(true)
                .connect_with(options.clone())
                .await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            // Untrusted until the listener hears every ended session (listener.rs).
            let cache = Arc::new(SessionCache::new(settings.cached_sessions, false));
            let store = Store {
                pool: Pool::Postgres(pool),
                cache,
                touches,
            };
            let tasks = StoreTasks {
                touches: touch_queue,
                listen: Some(options),
            };
            return Ok((store, tasks));
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
        // This process makes every write to the file, and forgets each session it ends.
        let store = Store {
            pool: Pool::Sqlite(pool),
            cache: Arc::new(SessionCache::new(settings.cached_sessions, true)),
            touches,
        };
        let tasks = StoreTasks {
            touches: touch_queue,
            listen: None,
        };
        Ok((store, tasks))
    }

    /// Starts the store's background work: the writer of sessions' last use and, on
    /// PostgreSQL, the listener for sessions ended by other instances.
    pub fn spawn_tasks(&self, work: StoreTasks, tasks: &mut Tasks) {
        let store = self.clone();
        tasks.spawn(move |stop| touches::write(store, work.touches, stop));
        if let Some(options) = work.listen {
            let cache = self.cache.clone();
            tasks.spawn(move |stop| listener::listen(options, cache, stop));
        }
    }

    /// Closes every connection (after the tasks using them have stopped).
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await);
    }

    /// Connections currently handed out by the pool (for `/metrics`).
    pub fn connections_in_use(&self) -> u32 {
        on_pool!(self, |pool| pool
            .size()
            .saturating_sub(pool.num_idle() as u32))
    }

    /// The session cache's size and lookups so far (for `/metrics`).
    pub fn cache_figures(&self) -> CacheFigures {
        self.cache.figures()
    }

    /// Failed-login counts kept in the database, where several instances may share it
    /// (PostgreSQL); `None` where one process owns the database and may count in memory.
    pub fn failure_counter(&self) -> Option<FailureCounter> {
        match &self.pool {
            Pool::Sqlite(_) => None,
            Pool::Postgres(pool) => Some(FailureCounter::new(pool.clone())),
        }
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

use crate::random::hex_id as random_id;
