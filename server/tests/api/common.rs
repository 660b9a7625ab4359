//! Test harness: each test starts the real router on a random port with its own database, and
//! talks to it over HTTP. The database is a SQLite file in a temporary directory, or, when
//! `TEST_POSTGRES_URL` names a PostgreSQL server (scripts/test.sh sets it for a second pass), a
//! fresh PostgreSQL database created for the test and dropped after it.

pub use crate::support::client::{assert_json_error, assert_unauthorized, Api};
use crate::support::postgres::{admin_url, TestDatabase};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use server::{
    config::{Config, SecretKey},
    state::AppState,
};
use std::{net::SocketAddr, ops::Deref, time::Duration};
use tempfile::TempDir;

/// A running server of one test; its API methods are [`Api`]'s.
pub struct TestApp {
    pub addr: SocketAddr,
    pub api: Api,
    pub secret: Vec<u8>,
    /// The running server's shared state, for what HTTP cannot show (how many hashes ran).
    pub state: AppState,
    /// The server and its background tasks, until [`TestApp::shut_down`] (dropping the app
    /// aborts them instead).
    running: Option<Running>,
    _data: TempDir,
    postgres: Option<TestDatabase>,
}

struct Running {
    app: server::startup::App,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestApp {
    /// Shuts the server down as the binary does on SIGTERM: stops listening, lets requests
    /// in flight finish, stops the background tasks and closes the database.
    pub async fn shut_down(&mut self) {
        let running = self.running.take().expect("still running");
        let _ = running.stop.send(());
        running.serving.await.unwrap().unwrap();
        running.app.shut_down().await;
    }

    /// Runs `statement` on the app's database directly, for states the API cannot reach (an
    /// expired ceremony, a tampered counter).
    pub async fn execute_sql(&self, statement: &str) {
        match &self.postgres {
            Some(db) => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
            None => {
                let url = format!("sqlite:{}", self._data.path().join("test.db").display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
        }
    }

    /// The text values `query` selects from the app's database (one column), for what the API
    /// never shows (what is stored of a secret).
    pub async fn query_strings(&self, query: &str) -> Vec<String> {
        let query = sqlx::AssertSqlSafe(query.to_owned());
        match &self.postgres {
            Some(db) => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                let rows = sqlx::query_scalar::<_, String>(query)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                rows
            }
            None => {
                let url = format!("sqlite:{}", self._data.path().join("test.db").display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                let rows = sqlx::query_scalar::<_, String>(query)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                rows
            }
        }
    }

    /// Moves every session's last full authentication `seconds` into the past, as if each had
    /// signed in (or re-authenticated) that much earlier: what the step-up reads.
    pub async fn age_authentications(&self, seconds: i64) {
        self.execute_sql(&format!(
            "UPDATE sessions SET authenticated_at = authenticated_at - {seconds}"
        ))
        .await;
    }

    /// The header and key this server signs its tokens with (the key derived from its secret,
    /// not the secret itself), to sign tokens as it does in tests that forge them.
    pub fn token_signing(&self) -> (jsonwebtoken::Header, jsonwebtoken::EncodingKey) {
        use server::auth::keys::{KeyRing, Purpose};
        let key = KeyRing::new(&self.secret, &[])
            .keys(Purpose::TokenSigning)
            .remove(0);
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.typ = Some("at+jwt".into());
        header.kid = Some(key.id);
        (header, jsonwebtoken::EncodingKey::from_secret(&key.bytes))
    }

    /// The origin pages of this app are opened at (`PUBLIC_URL`'s default).
    pub fn origin(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    /// The database's URL (PostgreSQL only), for checks the API cannot make.
    pub fn postgres_url(&self) -> &str {
        &self.postgres.as_ref().expect("a PostgreSQL test").url
    }

    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed the default test configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let data = tempfile::tempdir().expect("temp dir");
        let mut secret = vec![0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let postgres = match admin_url() {
            Some(admin_url) => Some(TestDatabase::create(&admin_url).await),
            None => None,
        };
        let database_url = match &postgres {
            Some(db) => db.url.clone(),
            None => format!("sqlite:{}", data.path().join("test.db").display()),
        };
        let mut config =
            Config::defaults(database_url, SecretKey::new(secret.clone()).unwrap(), addr);
        // A test's database is there or not: no minute of waiting for it.
        config.database_start_timeout = Duration::from_secs(10);
        adjust(&mut config);
        let app = server::startup::build(&config)
            .await
            .expect("server builds");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server::startup::serve(
            listener,
            app.router.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        TestApp {
            addr,
            api: Api::new(format!("http://{addr}")),
            secret,
            state: app.state.clone(),
            running: Some(Running { app, stop, serving }),
            _data: data,
            postgres,
        }
    }
}
