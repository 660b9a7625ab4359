//! Test harness: each test starts the real router on a random port with its own database, and
//! talks to it over HTTP. The database is a SQLite file in a temporary directory, or, when
//! `TEST_POSTGRES_URL` names a PostgreSQL server (scripts/test.sh sets it for a second pass), a
//! fresh PostgreSQL database created for the test and dropped after it.

pub use crate::support::client::{assert_json_error, assert_unauthorized, Api};
use crate::support::postgres::{admin_url, TestDatabase};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use leptos::config::Env;
use server::{
    auth::throttle::LoginLimits,
    config::{leptos_options, Config, SecretKey},
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
    _data: TempDir,
    _postgres: Option<TestDatabase>,
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestApp {
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
        let mut config = Config {
            database_url,
            pool: Default::default(),
            database_start_timeout: Duration::from_secs(10),
            secret_key: SecretKey::new(secret.clone()).unwrap(),
            token_ttl: Duration::from_secs(600),
            max_session: Duration::from_secs(86_400),
            session_touch_interval: Duration::from_secs(60),
            min_password_chars: 6,
            login_limits: LoginLimits::default(),
            hash_concurrency: 2,
            client_ip_header: None,
            leptos: leptos_options(addr, "target/site", Env::PROD),
        };
        adjust(&mut config);
        let (router, state) = server::startup::build(&config)
            .await
            .expect("server builds");
        tokio::spawn(server::startup::serve(
            listener,
            router,
            std::future::pending(),
        ));
        TestApp {
            addr,
            api: Api::new(format!("http://{addr}")),
            secret,
            state,
            _data: data,
            _postgres: postgres,
        }
    }
}
